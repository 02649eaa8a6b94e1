//! HumanEval problems in `thinkscale eval`: the prompt asks for the function, and a reply is
//! right when its program passes the problem's hidden tests, run by Python in a subprocess.
//!
//! This is the benchmark's grader, not a sandbox for untrusted code in general: each program runs
//! in a fresh temporary directory with isolated Python (`-I`), a 10 s limit (the process is
//! killed), 1 GiB of address space, and — where the machine allows it (`unshare -n`, as root) —
//! no network. The tests it runs are HumanEval's own `check` functions.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::process::Command;

/// One HumanEval problem, as `HumanEval.jsonl` holds it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Program {
    /// `HumanEval/12`.
    pub(crate) task_id: String,
    /// The function's signature and docstring.
    pub(crate) prompt: String,
    /// The hidden tests: a `check(candidate)` function.
    pub(crate) test: String,
    /// The function's name.
    pub(crate) entry_point: String,
}

/// How the reply is asked for (the task's instruction).
pub(crate) const PROGRAM_INSTRUCTION: &str =
    "Reply with the complete function, imports included, in one ```python code block.";

/// The longest a program may run before it counts as failed.
const TIME_LIMIT: Duration = Duration::from_secs(10);

impl Program {
    /// Whether this is one of HumanEval's problems 120–163, which this project keeps for
    /// independent checks and never evaluates on.
    pub(crate) fn held_out(&self) -> bool {
        let number = self.task_id.strip_prefix("HumanEval/").and_then(|n| n.parse::<u32>().ok());
        number.is_some_and(|n| n >= 120)
    }

    /// The question sent to the model.
    pub(crate) fn question(&self) -> String {
        format!("Complete this Python function.\n\n```python\n{}```", self.prompt)
    }

    /// Whether the program in `reply` passes the hidden tests.
    pub(crate) async fn passes(&self, reply: &str) -> bool {
        let code = code_of(reply);
        // The prompt first (its imports and helpers; a stub whose docstring is its body), then the
        // reply's code, which redefines the function or — if it is only a body — completes it.
        let program =
            format!("{}\n{}\n\n{}\n\ncheck({})\n", self.prompt, code, self.test, self.entry_point);
        run_python(&program, TIME_LIMIT).await.unwrap_or(false)
    }
}

/// The last fenced code block of `reply`, else the whole reply.
fn code_of(reply: &str) -> &str {
    match reply.split("```").skip(1).step_by(2).last() {
        // Drop the fence's language tag (```python).
        Some(block) => match block.split_once('\n') {
            Some((tag, rest)) if tag.trim().chars().all(|c| c.is_ascii_alphanumeric()) => rest,
            _ => block,
        },
        None => reply,
    }
}

/// Runs `program` and says whether it exited cleanly; `None` if Python could not be started.
async fn run_python(program: &str, limit: Duration) -> Option<bool> {
    let dir = scratch_dir()?;
    let file = dir.join("candidate.py");
    std::fs::write(&file, program).ok()?;
    let isolated = std::process::Command::new("unshare")
        .args(["-n", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let script = format!(
        "ulimit -v 1048576; exec {}python3 -I -B candidate.py",
        if isolated { "unshare -n " } else { "" }
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let passed = match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(status)) => status.success(),
        _ => false,
    };
    let _ = std::fs::remove_dir_all(&dir);
    Some(passed)
}

/// A fresh, empty directory for one program.
fn scratch_dir() -> Option<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name =
        format!("thinkscale-eval-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let dir = std::env::temp_dir().join(name);
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add() -> Program {
        Program {
            task_id: "Test/0".into(),
            prompt: "def add(a: int, b: int) -> int:\n    \"\"\"Adds.\"\"\"\n".into(),
            test: "def check(candidate):\n    assert candidate(2, 3) == 5\n".into(),
            entry_point: "add".into(),
        }
    }

    #[tokio::test]
    async fn a_right_program_passes_and_wrong_or_endless_ones_fail() {
        let problem = add();
        let right = "Here:\n```python\ndef add(a, b):\n    return a + b\n```\nDone.";
        assert!(problem.passes(right).await);
        assert!(problem.passes("    return a + b\n").await, "a bare body completes the stub");
        assert!(!problem.passes("```python\ndef add(a, b):\n    return a - b\n```").await);
        let endless = "def add(a, b):\n    while True: pass\n\nadd(1, 2)\n";
        assert_eq!(run_python(endless, Duration::from_millis(500)).await, Some(false));
        assert!(!problem.passes("I cannot do that.").await);
    }

    #[test]
    fn problems_120_on_are_held_out() {
        let numbered = |id: &str| Program { task_id: id.into(), ..add() };
        assert!(!numbered("HumanEval/0").held_out());
        assert!(!numbered("HumanEval/119").held_out());
        assert!(numbered("HumanEval/120").held_out());
        assert!(numbered("HumanEval/163").held_out());
    }
}
