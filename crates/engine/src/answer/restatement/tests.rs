//! The restatement rules on the replies Qwen2.5 0.5B gave to the short-answer set
//! (`crates/cli/data/short-answers.jsonl`), and on the statements they must leave alone.

use super::*;

fn key(question: &str, said: &str) -> String {
    QuestionWords::of(question).strip(said)
}

#[test]
fn restatements_of_the_question_are_dropped() {
    let words = QuestionWords::of("What is the capital of Australia?");
    assert_eq!(words.strip("capital of australia is canberra"), "canberra");
    assert_eq!(words.strip("canberra is the capital of australia"), "canberra");
    assert_eq!(words.strip("australia's capital is canberra"), "canberra");
    assert_eq!(words.strip("so the answer is canberra"), "canberra");
    assert_eq!(words.strip("it's canberra"), "canberra");
    assert_eq!(words.strip("canberra"), "canberra");
}

#[test]
fn statements_that_say_more_are_kept() {
    let words = QuestionWords::of("What is the capital of Australia?");
    assert_eq!(words.strip("sydney is bigger than canberra"), "sydney is bigger than canberra");
    assert_eq!(words.strip("not canberra"), "not canberra");
    // Both sides only repeat the question: nothing to choose, keep it all.
    assert_eq!(words.strip("the capital is australia"), "capital is australia");
    let choice = QuestionWords::of("Is the capital Sydney or Canberra?");
    assert_eq!(choice.strip("canberra"), "canberra", "an answer the question names stays");
    assert_eq!(choice.strip("the capital is canberra"), "capital is canberra");
    // A word the question holds with another ending is still the answer when it is all there is.
    let tense = QuestionWords::of("What is the past tense of walk?");
    assert_eq!(tense.strip("the past tense of walk is walked"), "walked");
    assert_eq!(tense.strip("walked"), "walked");
}

#[test]
fn a_passive_verb_and_its_preposition_are_dropped() {
    assert_eq!(key("On which continent is Kenya?", "kenya is located in africa."), "africa");
    assert_eq!(
        key("On which continent is Kenya?", "kenya is located on the continent of africa."),
        "africa"
    );
    assert_eq!(
        key("Who wrote Romeo and Juliet?", "romeo and juliet were written by william shakespeare."),
        "william shakespeare"
    );
    assert_eq!(
        key(
            "Who developed the theory of relativity?",
            "the theory of relativity was developed by albert einstein."
        ),
        "albert einstein"
    );
    assert_eq!(
        key("What language is spoken in Brazil?", "brazil is spoken primarily in portuguese."),
        "portuguese"
    );
    assert_eq!(
        key("What is the chemical symbol for gold?", "gold is represented by the symbol \"au\"."),
        "au"
    );
}

#[test]
fn the_questions_words_at_either_end_are_dropped() {
    assert_eq!(key("Which company makes the iPhone?", "apple makes the iphone."), "apple");
    let gas = "What gas do plants absorb from the air for photosynthesis?";
    assert_eq!(
        key(gas, "plants absorb carbon dioxide from the air for photosynthesis."),
        "carbon dioxide"
    );
    assert_eq!(
        key(gas, "that plants absorb carbon dioxide (co2) from the air for photosynthesis."),
        "carbon dioxide"
    );
    assert_eq!(
        key(gas, "carbon dioxide (co2) is absorbed from the air for photosynthesis."),
        "carbon dioxide"
    );
    // A different answer stays different.
    assert_eq!(key(gas, "plants absorb water from the air for photosynthesis."), "water");
    // A question that names its answers: their words are the answer, not a restatement.
    let final_ = "Who won the 2018 World Cup final, France or Croatia?";
    assert_ne!(key(final_, "france beat croatia"), key(final_, "croatia beat france"));
    let named = "Did France beat Croatia in the 2018 final?";
    assert_ne!(key(named, "france beat croatia"), key(named, "croatia beat france"));
    // What is left must say something: opposite comparisons do not both become "than".
    let bigger = "Which is bigger, the sun or the moon?";
    assert_ne!(
        key(bigger, "the sun is bigger than the moon"),
        key(bigger, "the moon is bigger than the sun")
    );
}

#[test]
fn an_aside_after_the_answer_is_dropped() {
    let mountain = "What is the tallest mountain in the world?";
    assert_eq!(key(mountain, "mount everest, which"), "mount everest");
    assert_eq!(
        key(
            mountain,
            "the tallest mountain in the world is mount everest, located in asia, nepal."
        ),
        "mount everest"
    );
    // A label in parentheses tells answers apart: it stays.
    let option = "Which option is correct?";
    assert_ne!(key(option, "option (a)"), key(option, "option (b)"));
    assert_ne!(key(option, "answer choice (ii)"), key(option, "answer choice (iii)"));
    // A comma that is part of the answer stays.
    assert_eq!(key("Where is the Louvre?", "paris, france"), "paris, france");
}
