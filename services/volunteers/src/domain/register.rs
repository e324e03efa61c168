//! The volunteer register's model and rules: who a volunteer is, and the checks on the
//! personal data they give. No SQL, no gRPC.

use xingfu_platform::FieldViolation;

/// A volunteer as registered, personal data in clear (it is sealed before it is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVolunteer {
    /// The registrar's idempotency key.
    pub request_id: String,
    /// Name.
    pub name: String,
    /// Phone, normalised by [`parse_phone`].
    pub phone: String,
    /// ID number, normalised by [`parse_id_number`].
    pub id_number: String,
    /// A Party member.
    pub party_member: bool,
    /// The work organisation, a directory id.
    pub work_organisation_id: String,
    /// The home community, a directory id.
    pub home_community_id: String,
    /// Skills.
    pub skills: Vec<String>,
}

/// A stored volunteer as the register shows it: personal data masked, the name opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volunteer {
    /// Server-assigned id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Phone, masked.
    pub phone_masked: String,
    /// ID number, masked.
    pub id_number_masked: String,
    /// A Party member.
    pub party_member: bool,
    /// The work organisation.
    pub work_organisation_id: String,
    /// The home community.
    pub home_community_id: String,
    /// Skills.
    pub skills: Vec<String>,
    /// Registered, microseconds since the epoch.
    pub created_at: i64,
}

/// The most skills a volunteer lists.
pub const MAX_SKILLS: usize = 20;

/// A phone: 5 to 20 digits, optionally a leading `+`; spaces and dashes are dropped.
pub fn parse_phone(value: &str, field: &str) -> Result<String, FieldViolation> {
    let kept: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = kept.strip_prefix('+').unwrap_or(&kept);
    if (5..=20).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(kept)
    } else {
        Err(FieldViolation::new(
            field,
            "must be 5 to 20 digits, optionally with a leading +",
        ))
    }
}

/// The check character (GB 11643) of an ID number's first 17 digits; `None` if they are
/// not 17 digits.
pub fn check_character(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECKS: &[u8; 11] = b"10X98765432";
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(char::from(CHECKS[(sum % 11) as usize]))
}

/// A resident ID number (GB 11643): 17 digits and a check character, upper-cased.
pub fn parse_id_number(value: &str, field: &str) -> Result<String, FieldViolation> {
    let upper = value.trim().to_ascii_uppercase();
    let (first17, check) = upper.split_at_checked(17).unwrap_or((&upper, ""));
    let Some(expected) = check_character(first17).filter(|_| check.len() == 1) else {
        return Err(FieldViolation::new(
            field,
            "must be 17 digits and a check character",
        ));
    };
    if !check.starts_with(expected) {
        return Err(FieldViolation::new(
            field,
            "the check character does not match",
        ));
    }
    Ok(upper)
}

/// An ID number with all but its first six and last two characters hidden.
pub fn mask_id_number(id_number: &str) -> String {
    id_number
        .chars()
        .enumerate()
        .map(|(i, c)| if (6..16).contains(&i) { '*' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_need_their_check_character() {
        // 11010519491231002X is the standard's worked example.
        assert_eq!(
            parse_id_number("11010519491231002x", "f").unwrap(),
            "11010519491231002X"
        );
        assert!(parse_id_number("110105194912310021", "f").is_err());
        assert!(parse_id_number("1101051949123100", "f").is_err());
        assert_eq!(mask_id_number("11010519491231002X"), "110105**********2X");
    }

    #[test]
    fn phones_keep_digits_and_a_leading_plus() {
        assert_eq!(parse_phone("138-0000 5678", "f").unwrap(), "13800005678");
        assert_eq!(parse_phone("+86 138", "f").unwrap(), "+86138");
        assert!(parse_phone("12ab5", "f").is_err());
        assert!(parse_phone("1234", "f").is_err());
    }
}
