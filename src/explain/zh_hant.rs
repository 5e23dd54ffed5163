//! (Being written.)
pub(super) use super::en::{
    binary_input, connection, icmp, other_text, problem_name, reason, write_segment,
};
