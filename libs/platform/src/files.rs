//! Files only xingfu's own user may read: the data folder (0700) and what it holds
//! (SQLite files, keys: 0600). Personal data and secrets live there.

use std::io;

use anyhow::Context as _;
use std::path::Path;

/// Creates `dir` and any missing parents, mode 0700 (an existing folder is left as it is:
/// an operator may have chosen otherwise).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates `path` empty, mode 0600, unless it exists; SQLite then opens it as a new
/// database and gives its `-wal` and `-shm` files the same mode.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn the_data_folder_and_its_files_are_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data/nested");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("data")), 0o700);
        let file = dir.join("example.sqlite");
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::write(&file, b"kept").unwrap();
        create_private_file(&file).unwrap();
        assert_eq!(
            std::fs::read(&file).unwrap(),
            b"kept",
            "an existing file is kept"
        );
    }
}

/// Writes `text` to a new file at `path`, mode 0600 (a key, a secret); an existing file is
/// an error, never overwritten.
pub fn write_private(path: &Path, text: &str) -> io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// The secret in `path`, or a new random one (64 hex digits) written there (mode 0600).
pub fn key_file(path: &Path) -> anyhow::Result<String> {
    if let Ok(key) = std::fs::read_to_string(path) {
        return Ok(key);
    }
    if let Some(dir) = path.parent() {
        create_private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut key = [0u8; 32];
    fill_random(&mut key);
    let hex = crate::hex::encode(&key);
    write_private(path, &hex)
        .with_context(|| format!("writing the generated key to {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a secret key");
    Ok(hex)
}

/// Random bytes from the operating system (UUIDv4 draws on it; no extra crate needed).
pub fn fill_random(out: &mut [u8]) {
    for chunk in out.chunks_mut(16) {
        let random = uuid::Uuid::new_v4();
        chunk.copy_from_slice(&random.as_bytes()[..chunk.len()]);
    }
}
