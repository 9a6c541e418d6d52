//! Instances embedded in the binary (`builtin:NAME`), also shipped as files
//! under `instances/` so a user can copy one and edit it.

use crate::error::InstanceError;
use crate::instance::Instance;

/// A built-in instance: its name, one line on what it shows, its file text.
pub struct Builtin {
    /// Name used in `builtin:NAME`.
    pub name: &'static str,
    /// What it is for.
    pub summary: &'static str,
    /// The instance file, verbatim.
    pub text: &'static str,
}

/// Every built-in instance.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "greedy-fails",
        summary:
            "two domains, diagonal, d = 2: greedy T = 1 drives w to a vertex while w* is interior",
        text: include_str!("../instances/greedy-fails.json"),
    },
    Builtin {
        name: "dense-3x4",
        summary: "three domains, dense SPD matrices, d = 4: the sweep benchmark's instance",
        text: include_str!("../instances/dense-3x4.json"),
    },
    Builtin {
        name: "dense-3x5",
        summary: "three domains, dense SPD matrices, d = 5",
        text: include_str!("../instances/dense-3x5.json"),
    },
];

/// Loads `builtin:NAME` or a file path.
pub fn load(spec: &str) -> Result<Instance, crate::Error> {
    if let Some(name) = spec.strip_prefix("builtin:") {
        let b = BUILTINS.iter().find(|b| b.name == name).ok_or_else(|| {
            InstanceError::new(
                "--instance",
                format!(
                    "no built-in instance `{name}` (available: {})",
                    BUILTINS
                        .iter()
                        .map(|b| b.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        return Ok(Instance::from_json_str(b.text)?);
    }
    let text = std::fs::read_to_string(spec).map_err(|source| crate::Error::Io {
        path: spec.to_string(),
        source,
    })?;
    Ok(Instance::from_json_str(&text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_is_valid() {
        for b in BUILTINS {
            let inst =
                Instance::from_json_str(b.text).unwrap_or_else(|e| panic!("{}: {e}", b.name));
            assert_eq!(inst.name, b.name);
        }
    }
}
