//! Choosing the next token: greedy, temperature and nucleus (top-p) sampling, with a seeded
//! generator so that the same seed gives the same text on every platform.
//!
//! The reported log-probability is the model's own (temperature 1, before top-p), which is what
//! OpenAI-style `logprobs` report and what the engine's weighted vote expects.

use crate::Error;

/// Sampling settings for one sequence.
#[derive(Debug, Clone)]
pub(crate) struct Sampler {
    temperature: f32,
    top_p: f32,
    state: u64,
}

/// A chosen token and its log-probability under the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sampled {
    pub token: u32,
    pub logprob: f32,
}

/// Probabilities below this are dropped before nucleus sorting: they cannot change which tokens
/// make up any top-p mass that matters, and skipping them avoids sorting the whole vocabulary.
const NEGLIGIBLE: f32 = 1e-9;

impl Sampler {
    /// A sampler; `temperature <= 0` means greedy. `seed` fixes the random stream.
    pub(crate) fn new(temperature: f32, top_p: f32, seed: u64) -> Self {
        Self { temperature, top_p: top_p.clamp(0.0, 1.0), state: seed }
    }

    /// Picks the next token from `logits`.
    pub(crate) fn sample(&mut self, logits: &[f32]) -> Result<Sampled, Error> {
        let (best, max) = logits
            .iter()
            .copied()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |acc, (i, l)| if l > acc.1 { (i, l) } else { acc });
        if !max.is_finite() {
            return Err(Error::Numeric("the model produced no finite logit".into()));
        }
        let log_normalizer = max + logits.iter().map(|&l| (l - max).exp()).sum::<f32>().ln();
        let token = if self.temperature <= 0.0 { best } else { self.draw(logits, max) };
        let logprob = logits.get(token).map_or(f32::NEG_INFINITY, |&l| l - log_normalizer);
        Ok(Sampled { token: token as u32, logprob })
    }

    fn draw(&mut self, logits: &[f32], max: f32) -> usize {
        let inverse_temperature = 1.0 / self.temperature;
        let weights: Vec<f32> =
            logits.iter().map(|&l| ((l - max) * inverse_temperature).exp()).collect();
        let total: f32 = weights.iter().sum();
        let mut candidates: Vec<(usize, f32)> = weights
            .iter()
            .enumerate()
            .filter(|&(_, &w)| w / total > NEGLIGIBLE)
            .map(|(i, &w)| (i, w / total))
            .collect();
        if self.top_p < 1.0 {
            candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
            let mut mass = 0.0;
            let keep = candidates
                .iter()
                .position(|&(_, p)| {
                    mass += p;
                    mass >= self.top_p
                })
                .map_or(candidates.len(), |i| i + 1);
            candidates.truncate(keep.max(1));
        }
        let kept: f32 = candidates.iter().map(|&(_, p)| p).sum();
        let mut target = self.uniform() * kept;
        for &(index, p) in &candidates {
            if target < p {
                return index;
            }
            target -= p;
        }
        candidates.last().map_or(0, |&(index, _)| index)
    }

    /// A uniform number in [0, 1) from SplitMix64.
    fn uniform(&mut self) -> f32 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 24) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_largest_logit_and_reports_its_log_probability() {
        let mut sampler = Sampler::new(0.0, 1.0, 1);
        let sampled = sampler.sample(&[0.0, 2.0, 1.0]).unwrap();
        assert_eq!(sampled.token, 1);
        let expected = 2.0 - (1.0f32 + 2.0f32.exp() + 1.0f32.exp()).ln();
        assert!((sampled.logprob - expected).abs() < 1e-5);
    }

    #[test]
    fn the_same_seed_draws_the_same_tokens_and_another_seed_differs() {
        let logits: Vec<f32> = (0..50).map(|i| (i % 7) as f32 * 0.3).collect();
        let draw = |seed| {
            let mut sampler = Sampler::new(1.0, 1.0, seed);
            (0..40).map(|_| sampler.sample(&logits).unwrap().token).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn top_p_keeps_only_the_nucleus() {
        // One token holds 90% of the mass: with top_p 0.5 it is the only candidate.
        let logits = [5.0, 0.0, 0.0, 0.0];
        let mut sampler = Sampler::new(1.0, 0.5, 3);
        assert!((0..100).all(|_| sampler.sample(&logits).unwrap().token == 0));
    }

    #[test]
    fn non_finite_logits_are_an_error_not_a_panic() {
        let mut sampler = Sampler::new(0.7, 1.0, 3);
        assert!(sampler.sample(&[f32::NAN, f32::NAN]).is_err());
        assert!(sampler.sample(&[]).is_err());
    }
}
