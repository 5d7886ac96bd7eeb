//! The owned (or borrowed-then-owned) high-level representation of a message.

use crate::attr::Attribute;
use crate::builder::{MessageBuilder, TooLong};
use crate::message::Message;
use crate::types::{AttributeType, MessageType, TransactionId};
use rtcscope_wire::Result;

/// A whole message with every attribute decoded, after smoltcp's `Repr`.
///
/// `MessageRepr<'a>` borrows text and bytes from the parsed buffer; `MessageRepr<'static>`
/// (see [`MessageRepr::into_owned`]) owns them. [`MessageRepr::emit`] writes the attributes
/// as they are, MESSAGE-INTEGRITY and FINGERPRINT values included, so
/// parse → emit → parse gives an equal representation (padding bytes become zeros; use
/// [`MessageBuilder`] to compute fresh integrity values).
///
/// One ambiguity is inherent to the wire format: an RFC 3489 transaction ID whose first four
/// bytes equal the magic cookie reads back as an RFC 5389 message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MessageRepr<'a> {
    /// Method and class.
    pub message_type: MessageType,
    /// The transaction ID (its variant decides whether the magic cookie is written).
    pub transaction_id: TransactionId,
    /// The attributes in wire order.
    pub attributes: Vec<Attribute<'a>>,
}

impl<'a> MessageRepr<'a> {
    /// Decodes every attribute of a checked message; fails on the first malformed one.
    pub fn parse(msg: &Message<'a>) -> Result<Self> {
        let attributes = msg
            .attributes()
            .map(|a| a.and_then(|a| a.decode()))
            .collect::<Result<Vec<_>>>()?;
        Ok(MessageRepr {
            message_type: msg.message_type(),
            transaction_id: msg.transaction_id(),
            attributes,
        })
    }

    /// [`Message::parse`] then [`MessageRepr::parse`].
    pub fn from_bytes(buf: &'a [u8]) -> Result<Self> {
        Self::parse(&Message::parse(buf)?)
    }

    /// The first attribute of type `typ`.
    pub fn get(&self, typ: AttributeType) -> Option<&Attribute<'a>> {
        self.attributes.iter().find(|a| a.attribute_type() == typ)
    }

    /// Length of the encoded message.
    pub fn buffer_len(&self) -> usize {
        20 + self
            .attributes
            .iter()
            .map(|a| 4 + rtcscope_wire::pad4(a.value_len()))
            .sum::<usize>()
    }

    /// Encodes the message, attributes as they are.
    pub fn emit(&self) -> core::result::Result<Vec<u8>, TooLong> {
        let mut b = MessageBuilder::new(self.message_type, self.transaction_id);
        for a in &self.attributes {
            b.add(a);
        }
        b.finish()
    }

    /// Converts into a representation that owns all its data.
    pub fn into_owned(self) -> MessageRepr<'static> {
        MessageRepr {
            message_type: self.message_type,
            transaction_id: self.transaction_id,
            attributes: self
                .attributes
                .into_iter()
                .map(Attribute::into_owned)
                .collect(),
        }
    }
}
