//! `dev-keys DIR`: makes the local Ed25519 token key pair (`DIR/private.pem`, `DIR/public.pem`)
//! unless it exists. Local runs only: deployed keys live in Secrets Manager and SSM.

use std::path::PathBuf;

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).context("usage: dev-keys DIR")?);
    let (private_path, public_path) = (dir.join("private.pem"), dir.join("public.pem"));
    if private_path.exists() && public_path.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(&dir)?;
    let (private_pem, public_pem) = shared::identity::tokens::generate_key_pair()?;
    std::fs::write(&private_path, private_pem)?;
    std::fs::write(&public_path, public_pem)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&private_path, std::fs::Permissions::from_mode(0o600))?;
    }
    eprintln!("made a local token key pair in {}", dir.display());
    Ok(())
}
