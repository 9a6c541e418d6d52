//! The instance model: quadratic data-mixing problems read exactly from JSON
//! (SPEC §1, §5).
//!
//! An [`Instance`] holds its data as exact rationals, whatever backend later
//! runs it: validation (symmetry, definiteness, the step-size condition
//! `η < 2/λ_max`) is decided exactly, and the exact backend sees exactly what
//! was written.

use rug::Rational;
use serde_json::{Map, Value};

use crate::error::InstanceError;
use crate::linalg::{symmetric_eigenvalues_f64, Matrix};
use crate::num::{parse_rational, Scalar};

/// One training domain: `f_i(θ) = ½ (θ − b_i)ᵀ A_i (θ − b_i)`, `A_i ≻ 0`.
#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    /// Display name.
    pub name: String,
    /// `A_i`, symmetric positive definite.
    pub a: Matrix<Rational>,
    /// `b_i`, the domain's own minimizer.
    pub b: Vec<Rational>,
}

/// A validated quadratic instance (SPEC §1) with its run defaults (SPEC §2).
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// Display name.
    pub name: String,
    /// The m ≥ 2 training domains.
    pub domains: Vec<Domain>,
    /// `A_0`, symmetric positive semidefinite.
    pub val_a: Matrix<Rational>,
    /// `b_0`.
    pub val_b: Vec<Rational>,
    /// Inner step η, with `0 < η < 2/λ_max(A_i)` for every i.
    pub eta: Rational,
    /// Outer step α, if the file sets one.
    pub alpha: Option<Rational>,
    /// Start `θ_0` (default 0).
    pub theta0: Vec<Rational>,
    /// Start `w_0` on the simplex (default uniform).
    pub w0: Vec<Rational>,
}

const TOP_KEYS: [&str; 7] = [
    "name",
    "domains",
    "validation",
    "eta",
    "alpha",
    "theta0",
    "w0",
];

impl Instance {
    /// Number of domains m.
    pub fn m(&self) -> usize {
        self.domains.len()
    }

    /// Parameter dimension d.
    pub fn d(&self) -> usize {
        self.val_b.len()
    }

    /// Parses and validates an instance file's text. Every refusal names
    /// the field and the reason.
    pub fn from_json_str(text: &str) -> Result<Self, InstanceError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| InstanceError::new("(file)", format!("not valid JSON: {e}")))?;
        Self::from_json_value(&value)
    }

    /// Parses and validates an already-read JSON value.
    pub fn from_json_value(value: &Value) -> Result<Self, InstanceError> {
        let obj = value
            .as_object()
            .ok_or_else(|| InstanceError::new("(file)", "the top level must be a JSON object"))?;
        for key in obj.keys() {
            if !TOP_KEYS.contains(&key.as_str()) {
                return Err(InstanceError::new(
                    key.as_str(),
                    format!("unknown field (expected one of: {})", TOP_KEYS.join(", ")),
                ));
            }
        }
        let name = match obj.get("name") {
            None => "unnamed".to_string(),
            Some(v) => v
                .as_str()
                .ok_or_else(|| InstanceError::new("name", "must be a string"))?
                .to_string(),
        };
        let domains_v = required(obj, "domains", "")?
            .as_array()
            .ok_or_else(|| InstanceError::new("domains", "must be a list of domains"))?;
        if domains_v.len() < 2 {
            return Err(InstanceError::new(
                "domains",
                format!("needs at least two domains, found {}", domains_v.len()),
            ));
        }
        let mut domains = Vec::with_capacity(domains_v.len());
        let mut d: Option<usize> = None;
        for (i, dv) in domains_v.iter().enumerate() {
            let path = format!("domains[{i}]");
            let dobj = dv
                .as_object()
                .ok_or_else(|| InstanceError::new(&path, "must be an object with A and b"))?;
            for key in dobj.keys() {
                if !["name", "A", "b"].contains(&key.as_str()) {
                    return Err(InstanceError::new(
                        format!("{path}.{key}"),
                        "unknown field (expected name, A, b)",
                    ));
                }
            }
            let name = match dobj.get("name") {
                None => format!("domain{}", i + 1),
                Some(v) => v
                    .as_str()
                    .ok_or_else(|| InstanceError::new(format!("{path}.name"), "must be a string"))?
                    .to_string(),
            };
            let b = vector(required(dobj, "b", &path)?, &format!("{path}.b"))?;
            let dim = *d.get_or_insert(b.len());
            if dim == 0 {
                return Err(InstanceError::new(format!("{path}.b"), "must not be empty"));
            }
            if b.len() != dim {
                return Err(InstanceError::new(
                    format!("{path}.b"),
                    format!(
                        "wrong dimensions: has {} entries, expected d = {dim}",
                        b.len()
                    ),
                ));
            }
            let a = square(required(dobj, "A", &path)?, &format!("{path}.A"), dim)?;
            if !a.is_positive_definite() {
                return Err(InstanceError::new(
                    format!("{path}.A"),
                    "not positive definite (each domain loss must be strongly convex)",
                ));
            }
            domains.push(Domain { name, a, b });
        }
        let d = d.expect("at least two domains");
        let m = domains.len();

        let vobj = required(obj, "validation", "")?
            .as_object()
            .ok_or_else(|| InstanceError::new("validation", "must be an object with A and b"))?;
        for key in vobj.keys() {
            if !["A", "b"].contains(&key.as_str()) {
                return Err(InstanceError::new(
                    format!("validation.{key}"),
                    "unknown field (expected A, b)",
                ));
            }
        }
        let val_b = vector(required(vobj, "b", "validation")?, "validation.b")?;
        if val_b.len() != d {
            return Err(InstanceError::new(
                "validation.b",
                format!(
                    "wrong dimensions: has {} entries, expected d = {d}",
                    val_b.len()
                ),
            ));
        }
        let val_a = square(required(vobj, "A", "validation")?, "validation.A", d)?;
        if !val_a.is_positive_semidefinite() {
            return Err(InstanceError::new(
                "validation.A",
                "not positive semidefinite",
            ));
        }

        let eta = number(required(obj, "eta", "")?, "eta")?;
        let alpha = obj.get("alpha").map(|v| number(v, "alpha")).transpose()?;
        let theta0 = match obj.get("theta0") {
            None => vec![Rational::new(); d],
            Some(v) => {
                let t = vector(v, "theta0")?;
                if t.len() != d {
                    return Err(InstanceError::new(
                        "theta0",
                        format!(
                            "wrong dimensions: has {} entries, expected d = {d}",
                            t.len()
                        ),
                    ));
                }
                t
            }
        };
        let w0 = match obj.get("w0") {
            None => vec![Rational::from((1, m as u64)); m],
            Some(v) => vector(v, "w0")?,
        };
        let inst = Instance {
            name,
            domains,
            val_a,
            val_b,
            eta,
            alpha,
            theta0,
            w0,
        };
        inst.check_eta(&inst.eta, "eta")?;
        if let Some(a) = &inst.alpha {
            check_positive(a, "alpha")?;
        }
        check_simplex(&inst.w0, m, "w0")?;
        Ok(inst)
    }

    /// Checks `0 < η < 2/λ_max(A_i)` for every domain, exactly: the second
    /// condition is `(2/η) I − A_i ≻ 0`. Since `λ_max(H(w))` is convex in w,
    /// the vertices are the worst case and this covers every `w ∈ Δ`.
    pub fn check_eta(&self, eta: &Rational, field: &str) -> Result<(), InstanceError> {
        check_positive(eta, field)?;
        let two_over = Rational::from(2) / eta;
        for (i, dom) in self.domains.iter().enumerate() {
            let shifted = Matrix::identity(self.d(), &())
                .scaled(&two_over)
                .sub(&dom.a);
            if !shifted.is_positive_definite() {
                let lmax = symmetric_eigenvalues_f64(&dom.a)
                    .last()
                    .copied()
                    .unwrap_or(0.0);
                return Err(InstanceError::new(
                    field,
                    format!(
                        "η = {} ≥ 2/λ_max(domains[{i}].A) ≈ {:.6}: inner gradient descent diverges",
                        eta,
                        2.0 / lmax
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Replaces η, re-checking the step-size condition.
    pub fn with_eta(mut self, eta: Rational) -> Result<Self, InstanceError> {
        self.check_eta(&eta, "--eta")?;
        self.eta = eta;
        Ok(self)
    }

    /// Replaces α.
    pub fn with_alpha(mut self, alpha: Rational) -> Result<Self, InstanceError> {
        check_positive(&alpha, "--alpha")?;
        self.alpha = Some(alpha);
        Ok(self)
    }

    /// Strong convexity μ and smoothness L over the simplex (f64, for
    /// display): `λ_min(H(w))` is concave and `λ_max(H(w))` convex in w, so
    /// both extremes are attained at vertices: `μ = min_i λ_min(A_i)`,
    /// `L = max_i λ_max(A_i)`.
    pub fn mu_l(&self) -> (f64, f64) {
        let mut mu = f64::INFINITY;
        let mut l = 0.0f64;
        for dom in &self.domains {
            let ev = symmetric_eigenvalues_f64(&dom.a);
            mu = mu.min(ev[0]);
            l = l.max(*ev.last().expect("d ≥ 1"));
        }
        (mu, l)
    }

    /// The instance as a JSON value in the file format, every number as an
    /// exact string, so that writing and reading back is the identity.
    pub fn to_json(&self) -> Value {
        let vec =
            |v: &[Rational]| Value::Array(v.iter().map(|x| Value::String(x.to_text())).collect());
        let mat =
            |a: &Matrix<Rational>| Value::Array((0..a.rows()).map(|i| vec(a.row(i))).collect());
        let mut obj = Map::new();
        obj.insert("name".into(), Value::String(self.name.clone()));
        obj.insert(
            "domains".into(),
            Value::Array(
                self.domains
                    .iter()
                    .map(|d| {
                        let mut o = Map::new();
                        o.insert("name".into(), Value::String(d.name.clone()));
                        o.insert("A".into(), mat(&d.a));
                        o.insert("b".into(), vec(&d.b));
                        Value::Object(o)
                    })
                    .collect(),
            ),
        );
        let mut v = Map::new();
        v.insert("A".into(), mat(&self.val_a));
        v.insert("b".into(), vec(&self.val_b));
        obj.insert("validation".into(), Value::Object(v));
        obj.insert("eta".into(), Value::String(self.eta.to_text()));
        if let Some(a) = &self.alpha {
            obj.insert("alpha".into(), Value::String(a.to_text()));
        }
        obj.insert("theta0".into(), vec(&self.theta0));
        obj.insert("w0".into(), vec(&self.w0));
        Value::Object(obj)
    }
}

fn required<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    parent: &str,
) -> Result<&'a Value, InstanceError> {
    let path = if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    };
    obj.get(key)
        .ok_or_else(|| InstanceError::new(path, "missing field"))
}

/// A number from a JSON number (its literal text, thanks to serde_json's
/// `arbitrary_precision`) or from a string.
fn number(v: &Value, field: &str) -> Result<Rational, InstanceError> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => {
            return Err(InstanceError::new(
                field,
                format!(
                    "expected a number or a number string, found {}",
                    kind(other)
                ),
            ))
        }
    };
    parse_rational(&text).map_err(|e| InstanceError::new(field, e.to_string()))
}

fn vector(v: &Value, field: &str) -> Result<Vec<Rational>, InstanceError> {
    let arr = v.as_array().ok_or_else(|| {
        InstanceError::new(
            field,
            format!("expected a list of numbers, found {}", kind(v)),
        )
    })?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| number(x, &format!("{field}[{i}]")))
        .collect()
}

fn square(v: &Value, field: &str, d: usize) -> Result<Matrix<Rational>, InstanceError> {
    let rows = v.as_array().ok_or_else(|| {
        InstanceError::new(
            field,
            format!("expected a d×d list of rows, found {}", kind(v)),
        )
    })?;
    if rows.len() != d {
        return Err(InstanceError::new(
            field,
            format!(
                "wrong dimensions: has {} rows, expected d = {d}",
                rows.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(d);
    for (i, r) in rows.iter().enumerate() {
        let row = vector(r, &format!("{field}[{i}]"))?;
        if row.len() != d {
            return Err(InstanceError::new(
                format!("{field}[{i}]"),
                format!(
                    "wrong dimensions: has {} entries, expected d = {d}",
                    row.len()
                ),
            ));
        }
        out.push(row);
    }
    let m = Matrix::from_rows(out).expect("rows checked");
    if !m.is_symmetric() {
        let (i, j) = (0..d)
            .flat_map(|i| (0..i).map(move |j| (i, j)))
            .find(|&(i, j)| m[(i, j)] != m[(j, i)])
            .expect("asymmetric entry");
        return Err(InstanceError::new(
            field,
            format!(
                "not symmetric: entry [{i}][{j}] = {} but [{j}][{i}] = {}",
                m[(i, j)],
                m[(j, i)]
            ),
        ));
    }
    Ok(m)
}

fn check_positive(x: &Rational, field: &str) -> Result<(), InstanceError> {
    if x.cmp0() != std::cmp::Ordering::Greater {
        return Err(InstanceError::new(
            field,
            format!("must be positive, got {x}"),
        ));
    }
    Ok(())
}

/// `w` on the probability simplex, exactly: m entries, each ≥ 0, sum 1.
pub fn check_simplex(w: &[Rational], m: usize, field: &str) -> Result<(), InstanceError> {
    if w.len() != m {
        return Err(InstanceError::new(
            field,
            format!(
                "wrong dimensions: has {} entries, expected m = {m} (one per domain)",
                w.len()
            ),
        ));
    }
    if let Some(i) = w.iter().position(|x| x.cmp0() == std::cmp::Ordering::Less) {
        return Err(InstanceError::new(
            format!("{field}[{i}]"),
            format!("off the simplex: weight {} is negative", w[i]),
        ));
    }
    let s: Rational = w.iter().sum();
    if s != 1 {
        return Err(InstanceError::new(
            field,
            format!("off the simplex: weights sum to {s}, not 1"),
        ));
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = r#"{
      "name": "two-domains",
      "domains": [
        {"name": "web",  "A": [[2, 0], [0, 1]], "b": [1, "-1/2"]},
        {"name": "code", "A": [[1, 0], [0, 3]], "b": [0, 2]}
      ],
      "validation": {"A": [[1, 0], [0, 1]], "b": ["0.5", 0]},
      "eta": "1/4",
      "alpha": "1/2",
      "theta0": [0, 0],
      "w0": ["1/2", "1/2"]
    }"#;

    #[test]
    fn spec_example_reads_exactly() {
        let inst = Instance::from_json_str(SPEC_EXAMPLE).unwrap();
        assert_eq!(inst.m(), 2);
        assert_eq!(inst.d(), 2);
        assert_eq!(inst.domains[0].b[1], Rational::from((-1, 2)));
        assert_eq!(inst.val_b[0], Rational::from((1, 2)));
        assert_eq!(inst.eta, Rational::from((1, 4)));
    }

    #[test]
    fn json_numbers_are_read_from_their_text() {
        // 0.1 has no binary representation: it must come out as 1/10.
        let text = SPEC_EXAMPLE.replace("\"eta\": \"1/4\"", "\"eta\": 0.1");
        let inst = Instance::from_json_str(&text).unwrap();
        assert_eq!(inst.eta, Rational::from((1, 10)));
    }

    #[test]
    fn writing_and_reading_back_is_the_identity() {
        let inst = Instance::from_json_str(SPEC_EXAMPLE).unwrap();
        let again = Instance::from_json_value(&inst.to_json()).unwrap();
        assert_eq!(inst, again);
    }
}
