//! Prints how long one sign-in's argon2id verification takes with the default
//! [`PasswordPolicy`] (and a few neighbours, to choose from), so the default can be checked
//! against the 50-250 ms budget on the machine at hand:
//!
//! ```sh
//! cargo run -p auralis-library --example password_cost
//! ```
//!
//! Dependencies are built with optimisations even in dev builds (see the workspace
//! Cargo.toml), so this measures the same argon2 code a release server runs. Figures are the
//! median of several runs; other load on the machine makes them higher, never lower.

use std::time::Instant;

use auralis_library::{Library, PasswordPolicy, SecretBox};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let library = Library::open(dir.path().join("library.sqlite"))?;
    let secrets = SecretBox::open_or_create(dir.path().join("secret.key"))?;
    let runs = 9;
    let mib = |kib: u32| kib / 1024;
    let candidates = [
        PasswordPolicy {
            m_cost_kib: 19 * 1024,
            t_cost: 2,
            p_cost: 1,
        },
        PasswordPolicy {
            m_cost_kib: 46 * 1024,
            t_cost: 1,
            p_cost: 1,
        },
        PasswordPolicy {
            m_cost_kib: 64 * 1024,
            t_cost: 3,
            p_cost: 1,
        },
        PasswordPolicy::DEFAULT,
    ];
    for (i, policy) in candidates.into_iter().enumerate() {
        library.set_password_policy(policy)?;
        let name = format!("user{i}");
        let user = library.create_user(&name, "correct horse battery", false, &secrets)?;
        // Warm-up: the first verification also makes the dummy hash.
        library.verify_password(&name, "wrong password")?;
        let mut times = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            let ok = library.verify_password(&name, "correct horse battery")?;
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(ok.as_ref().map(|u| u.id), Some(user.id));
        }
        let mut unknown = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            assert!(library
                .verify_password("nobody", "wrong password")?
                .is_none());
            unknown.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        unknown.sort_by(f64::total_cmp);
        let default = if policy == PasswordPolicy::DEFAULT {
            "  <- default"
        } else {
            ""
        };
        println!(
            "m={:>3} MiB t={} p={}: verify {:6.1} ms (min {:6.1}), unknown user {:6.1} ms{default}",
            mib(policy.m_cost_kib),
            policy.t_cost,
            policy.p_cost,
            times[runs / 2],
            times[0],
            unknown[runs / 2],
        );
    }
    Ok(())
}
