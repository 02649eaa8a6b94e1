//! Chat templates: turning a conversation into the token sequence the model was tuned on.
//!
//! Both supported model families (SmolLM2, Qwen2.5) use ChatML:
//! `<|im_start|>role\ncontent<|im_end|>\n` per message, then `<|im_start|>assistant\n`. They differ
//! in the system message they insert when the conversation has none, which is read from the
//! Jinja template stored in the GGUF file (`tokenizer.chat_template`) rather than hard-coded, so
//! a fine-tune with another default keeps it. Markers are inserted as token ids; message text is
//! encoded as plain text and can never produce a marker.

use thinkscale_engine::model::{Message, Role};

use crate::Error;
use crate::tokenizer::{TokenId, Tokenizer};

/// A ChatML template with the ids of its markers.
#[derive(Debug, Clone)]
pub struct ChatTemplate {
    start: TokenId,
    end: TokenId,
    default_system: Option<String>,
}

impl ChatTemplate {
    /// Reads the template from the GGUF `tokenizer.chat_template` text. Fails for templates that
    /// are not ChatML, naming what was found.
    pub fn from_jinja(jinja: &str, tokenizer: &Tokenizer) -> Result<Self, Error> {
        if !jinja.contains("<|im_start|>") {
            return Err(Error::UnsupportedModel(
                "its chat template is not ChatML (no <|im_start|>); supported: SmolLM2, Qwen2.5"
                    .into(),
            ));
        }
        let marker = |name: &str| {
            tokenizer.token_id(name).ok_or_else(|| {
                Error::UnsupportedModel(format!("its vocabulary has no {name} token"))
            })
        };
        Ok(Self {
            start: marker("<|im_start|>")?,
            end: marker("<|im_end|>")?,
            default_system: default_system_message(jinja),
        })
    }

    /// The token that ends a turn: generation stops on it.
    pub fn end_of_turn(&self) -> TokenId {
        self.end
    }

    /// The system message inserted when a conversation has none.
    pub fn default_system(&self) -> Option<&str> {
        self.default_system.as_deref()
    }

    /// The prompt tokens for `messages`, ending with the opening of the assistant's turn.
    pub fn prompt(
        &self,
        messages: &[Message],
        tokenizer: &Tokenizer,
    ) -> Result<Vec<TokenId>, Error> {
        let mut tokens = Vec::new();
        let has_system = messages.first().is_some_and(|m| m.role == Role::System);
        if let (false, Some(system)) = (has_system, &self.default_system) {
            self.turn("system", system, tokenizer, &mut tokens)?;
        }
        for message in messages {
            let role = match message.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            self.turn(role, &message.content, tokenizer, &mut tokens)?;
        }
        tokens.push(self.start);
        tokens.extend(tokenizer.encode("assistant\n")?);
        Ok(tokens)
    }

    fn turn(
        &self,
        role: &str,
        content: &str,
        tokenizer: &Tokenizer,
        out: &mut Vec<TokenId>,
    ) -> Result<(), Error> {
        out.push(self.start);
        out.extend(tokenizer.encode(&format!("{role}\n{content}"))?);
        out.push(self.end);
        out.extend(tokenizer.encode("\n")?);
        Ok(())
    }
}

/// The literal system message a ChatML Jinja template inserts when none is given: the first
/// `<|im_start|>system` followed (after a real or escaped newline) by literal text up to
/// `<|im_end|>`, skipping the branch that copies the user's own system message.
fn default_system_message(jinja: &str) -> Option<String> {
    const OPEN: &str = "<|im_start|>system";
    let mut rest = jinja;
    while let Some(at) = rest.find(OPEN) {
        rest = &rest[at + OPEN.len()..];
        let body = rest.strip_prefix("\\n").or_else(|| rest.strip_prefix('\n'));
        let Some(body) = body else { continue };
        let Some(end) = body.find("<|im_end|>") else { continue };
        let text = &body[..end];
        // A literal inside one Jinja string: no quote closes it, no expression is spliced in.
        if !text.is_empty() && !text.contains(['\'', '"', '{', '}']) {
            return Some(text.replace("\\n", "\n"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}";
    const QWEN25: &str = "{%- if messages[0]['role'] == 'system' %}\n        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n    {%- else %}\n        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n    {%- endif %}";

    #[test]
    fn the_default_system_message_is_read_from_the_template() {
        assert_eq!(
            default_system_message(SMOLLM2).as_deref(),
            Some("You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        );
        assert_eq!(
            default_system_message(QWEN25).as_deref(),
            Some("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
        );
        assert_eq!(default_system_message("{{ '<|im_start|>' + role }}"), None);
    }
}
