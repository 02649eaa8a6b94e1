// Trace documents written by the tests (valid for the engine's checks: one runStarted, nodes in
// order, each event on a node that can take it): a large one of many branches and tokens, and
// one that exercises the events the engine added for hardening (usage of retried, cancelled and
// failed attempts, revised usage, a vote spread wider than it lists).

const usage = (promptTokens, completionTokens) => ({ promptTokens, completionTokens, reasoningTokens: 0 });
const answer = (text) => ({ text, key: text });
const spend = (samples, promptTokens, completionTokens, elapsedMs) =>
  ({ samples, promptTokens, completionTokens, reasoningTokens: 0, elapsedMs });

const start = (question) => ({
  atMs: 0, type: "runStarted", question, strategy: "selfConsistency",
  config: { kind: "chainOfThought" }, budget: {}, model: "test",
});
const started = (atMs, id, label = `sample ${id + 1}`) =>
  ({ atMs, type: "branchStarted", id, parent: null, kind: "sample", label });
const finishedBranch = (atMs, id, text, answerText, used) => ({
  atMs, type: "branchFinished", id, text, reasoning: null, finishReason: "stop",
  answer: answerText === null ? null : answer(answerText), meanLogprob: null, confidence: null,
  usage: used, costUsd: null,
});
const outcome = (votes, samples, elapsedMs, counts) => ({
  answer: votes[0]?.answer ?? null, chosen: votes[0]?.nodes[0] ?? null, text: null, votes,
  stop: { kind: "completed" }, spend: spend(samples, 0, 0, elapsedMs), ...counts,
});

/** The JSON document of `events`. */
export const traceJson = (events) => JSON.stringify({ format: "thinkscale.trace", version: 1, events });

/**
 * `branches` samples of `deltas` tokens each, all at the same millisecond (so that nothing but
 * the replay's own slicing can let the page breathe), every one answering 7.
 */
export function largeTrace({ branches, deltas, piece = "word " }) {
  const events = [start("a large trace")];
  for (let id = 0; id < branches; id++) {
    events.push(started(1, id));
    for (let d = 0; d < deltas; d++) events.push({ atMs: 1, type: "tokenDelta", id, channel: "text", text: piece });
    events.push(finishedBranch(1, id, piece.repeat(deltas) + "7", "7", usage(10, deltas)));
  }
  const nodes = Array.from({ length: branches }, (_, id) => id);
  const votes = [{ answer: answer("7"), votes: branches, weight: branches, nodes }];
  events.push({ atMs: 2, type: "voteTallied", standings: [{ answer: answer("7"), votes: branches, weight: branches }], counted: branches, answers: 1 });
  events.push({ atMs: 2, type: "runFinished", outcome: outcome(votes, branches, 2, { succeeded: branches, failed: 0, cancelled: 0 }) });
  return traceJson(events);
}

/**
 * Four branches and a wide vote: #1 finishes with 30 tokens, then its usage is revised to 100;
 * #2 is retried after an attempt that used 15, then finishes with 30 (45 in all); #3 is cancelled
 * after using 7; #4 fails after using 9. The vote has 20 distinct answers and lists 16.
 */
export function hardeningEventsTrace() {
  const server = { kind: "server", message: "overloaded", status: 503 };
  const tooLong = { kind: "invalidRequest", message: "context length exceeded", status: 400 };
  const events = [
    start("what do the new events show?"),
    started(1, 0), { atMs: 2, type: "tokenDelta", id: 0, channel: "text", text: "The answer is 1" },
    finishedBranch(3, 0, "The answer is 1", "1", usage(10, 20)),
    { atMs: 4, type: "usageRevised", id: 0, usage: usage(40, 60), costUsd: null },
    started(5, 1),
    { atMs: 6, type: "branchRetried", id: 1, attempt: 2, error: server, delayMs: 1, usage: usage(10, 5) },
    finishedBranch(7, 1, "The answer is 2", "2", usage(10, 20)),
    started(8, 2), { atMs: 9, type: "branchCancelled", id: 2, usage: usage(7, 0) },
    started(10, 3), { atMs: 11, type: "error", id: 3, error: tooLong, usage: usage(9, 0) },
  ];
  const tallies = Array.from({ length: 20 }, (_, i) =>
    ({ answer: answer(String(i + 1)), votes: 1, weight: 1, nodes: i < 2 ? [i] : [] }));
  const standings = tallies.slice(0, 16).map(({ answer, votes, weight }) => ({ answer, votes, weight }));
  events.push({ atMs: 12, type: "voteTallied", standings, counted: 20, answers: 20 });
  events.push({ atMs: 13, type: "runFinished", outcome: outcome(tallies, 4, 13, { succeeded: 2, failed: 1, cancelled: 1 }) });
  return traceJson(events);
}
