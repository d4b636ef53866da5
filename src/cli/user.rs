//! `auralis user add|list|passwd|remove`: accounts from the command line, for headless installs
//! (the web page's first-run form does the same for the first admin).
//!
//! Passwords are read from a prompt without echo, or from standard input with
//! `--password-stdin` (the first line), never from the command line where `ps` would show them.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{bail, Context};
use auralis_library::{Library, SecretBox};
use auralis_server::config::{ServerConfig, LIBRARY_FILE};

#[derive(clap::Args, Debug)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
    /// Data folder of the server [default: the user's data folder + auralis/]
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user (the password is asked for, or read from stdin).
    Add {
        name: String,
        /// Make the user an admin (may scan, clear the cache, manage users).
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the users.
    List,
    /// Set a user's password (the user's sessions end).
    Passwd {
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a user with their sessions, API keys and data.
    Remove { name: String },
}

pub fn run(args: UserArgs) -> anyhow::Result<()> {
    let data_dir = match args.data_dir {
        Some(d) => d,
        None => super::default_data_dir()?,
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create data folder {}", data_dir.display()))?;
    let library = Library::open(data_dir.join(LIBRARY_FILE))?;
    let config = ServerConfig::new(PathBuf::new(), data_dir);
    let secrets = || SecretBox::open_or_create(config.secret_key_path());
    match args.command {
        UserCommand::Add {
            name,
            admin,
            password_stdin,
        } => {
            let password = read_password(password_stdin, true)?;
            let user = library.create_user(&name, &password, admin, &secrets()?)?;
            println!(
                "added {}{} (id {})",
                user.name,
                if user.admin { ", admin" } else { "" },
                user.id
            );
        }
        UserCommand::List => {
            let users = library.users()?;
            if users.is_empty() {
                println!("no users yet: `auralis user add NAME --admin`, or open the page");
            }
            for u in users {
                println!(
                    "{:>4}  {}{}",
                    u.id,
                    u.name,
                    if u.admin { "  (admin)" } else { "" }
                );
            }
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            let user = find(&library, &name)?;
            let password = read_password(password_stdin, true)?;
            library.set_password(user.id, &password, &secrets()?)?;
            let ended = library.delete_sessions_of(user.id, None)?;
            println!(
                "password of {} changed; {ended} session(s) ended",
                user.name
            );
        }
        UserCommand::Remove { name } => {
            let user = find(&library, &name)?;
            library.delete_user(user.id)?;
            println!("removed {}", user.name);
        }
    }
    Ok(())
}

fn find(library: &Library, name: &str) -> anyhow::Result<auralis_library::User> {
    library
        .user_by_name(name)?
        .with_context(|| format!("no user named {name:?} (see `auralis user list`)"))
}

/// The new password: from stdin's first line, or asked twice at the terminal.
fn read_password(from_stdin: bool, confirm: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        if password.is_empty() {
            bail!("no password on standard input");
        }
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password: use --password-stdin");
    }
    let password = rpassword::prompt_password("Password: ").context("cannot read the password")?;
    if confirm {
        let again =
            rpassword::prompt_password("Password again: ").context("cannot read the password")?;
        if again != password {
            bail!("the two passwords differ");
        }
    }
    Ok(password)
}
