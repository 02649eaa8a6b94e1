//! The order the tree lists a run's branches in: each branch right under its parent, after the
//! parent's earlier children and their subtrees — a depth-first walk with children in start order.
//!
//! It is computed from the parents in one pass when the view renders, instead of inserting each
//! branch into a list as it starts (finding its parent and the end of the parent's subtree there
//! costs a walk over every branch so far: quadratic for a trace of tens of thousands of branches).
//! Free of the DOM, so it is tested natively.

use thinkscale_engine::NodeId;

/// The display order of nodes `0..parents.len()`, where `parents[i]` is node `i`'s parent. A
/// parent that is not an earlier node (which a checked trace never has) puts the node at the top
/// level, so the walk always ends.
pub fn display_order(parents: &[Option<NodeId>]) -> Vec<NodeId> {
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); parents.len()];
    let mut roots = Vec::new();
    for (id, parent) in (0_u32..).zip(parents) {
        match parent.and_then(|p| children.get_mut(p.0 as usize).filter(|_| p.0 < id)) {
            Some(siblings) => siblings.push(id),
            None => roots.push(id),
        }
    }
    let mut order = Vec::with_capacity(parents.len());
    // A stack of the nodes still to visit, last first.
    let mut stack: Vec<u32> = roots.into_iter().rev().collect();
    while let Some(id) = stack.pop() {
        order.push(NodeId(id));
        if let Some(kids) = children.get(id as usize) {
            stack.extend(kids.iter().rev());
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(parents: &[Option<u32>]) -> Vec<u32> {
        let parents: Vec<Option<NodeId>> = parents.iter().map(|p| p.map(NodeId)).collect();
        display_order(&parents).into_iter().map(|id| id.0).collect()
    }

    #[test]
    fn children_follow_their_parent_after_its_earlier_subtrees() {
        // 0 and 1 are samples; 2 judges 0, 3 judges 1, 4 is a second judge of 0, 5 hangs under 2.
        assert_eq!(order(&[None, None, Some(0), Some(1), Some(0), Some(2)]), [0, 2, 5, 4, 1, 3]);
        // Without parents, start order.
        assert_eq!(order(&[None, None, None]), [0, 1, 2]);
        assert_eq!(order(&[]), Vec::<u32>::new());
    }

    #[test]
    fn a_parent_that_is_not_an_earlier_node_puts_the_node_at_the_top() {
        assert_eq!(order(&[Some(0), Some(7), None, Some(3), Some(2)]), [0, 1, 2, 4, 3]);
    }

    #[test]
    fn a_deep_chain_and_a_wide_fan_are_walked_without_recursion() {
        let chain: Vec<Option<u32>> = (0_u32..100_000).map(|i| i.checked_sub(1)).collect();
        assert_eq!(order(&chain), (0..100_000).collect::<Vec<_>>());
        let fan: Vec<Option<u32>> = (0_u32..100_000).map(|i| (i > 0).then_some(0)).collect();
        assert_eq!(order(&fan).len(), 100_000);
    }
}
