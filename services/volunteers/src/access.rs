//! What a caller may do on its own word, before any record is read: the scope that shows
//! personal data, and the calls the route table (`grpc::mod`) admits only for some
//! callers. Who reaches which record (owners, locations, roles over them) is
//! `ops::boundary`'s, checked as each operation reads or writes.

use xingfu_platform::Error;
use xingfu_platform::trust::Caller;

/// The scope that lets a caller see personal data in clear.
pub const PII_READ: &str = "pii:read";

/// The scope that lets a caller erase a person's personal data: irreversible, so apart
/// from every write scope.
pub const PII_ERASE: &str = "pii:erase";

/// Whether the caller sees volunteers' names, phones and ID numbers in clear.
pub fn reveals(caller: &Caller) -> bool {
    caller.holds(PII_READ)
}

/// PERMISSION_DENIED (`PII_READ_REQUIRED`) unless the caller holds `pii:read`: a look-up
/// by a clear phone or ID number is a read of it (without the scope, a masked value and
/// ten thousand guesses would reveal it).
pub fn finding_by_personal_data(caller: &Caller) -> Result<(), Error> {
    if reveals(caller) {
        return Ok(());
    }
    Err(Error::denied(
        "PII_READ_REQUIRED",
        "finding a volunteer by phone or ID number needs the pii:read scope",
    ))
}

/// PERMISSION_DENIED (`PII_ERASE_REQUIRED`) unless the caller holds `pii:erase`.
pub fn erasing_personal_data(caller: &Caller) -> Result<(), Error> {
    if caller.holds(PII_ERASE) {
        return Ok(());
    }
    Err(Error::denied(
        "PII_ERASE_REQUIRED",
        "erasing a volunteer's personal data needs the pii:erase scope",
    ))
}

/// PERMISSION_DENIED (`OUTSIDE_BOUNDARY`) for a limited caller: a file may name any
/// entry, so a bulk change of the shared directory is a programme-wide caller's job (a
/// township's too: organisations lie in none). Checked before the file is read.
pub fn importing_the_directory(caller: &Caller) -> Result<(), Error> {
    if !caller.is_limited() {
        return Ok(());
    }
    Err(Error::denied(
        "OUTSIDE_BOUNDARY",
        "importing the directory is programme-wide; the caller is limited to a \
         subtree or a township",
    ))
}
