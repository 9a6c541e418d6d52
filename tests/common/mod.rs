//! Random small instances for the property tests: m ∈ {2, 3} domains,
//! d ∈ 1..=max_d, `A_i = B_iᵀB_i + I` with integer `B_i` in [−2, 2],
//! `b_i = k/2` with |k| ≤ 6, `A_0 = CᵀC`, `b_0 = k/2`, weights positive
//! integers normalised to the simplex, η = 1/(1 + max_i tr A_i) (always
//! below 2/λ_max), written as an instance file and read back through the
//! validator.
#![allow(dead_code)]

use proptest::collection::vec as pvec;
use proptest::prelude::*;
use rug::Rational;
use tstar::instance::Instance;

/// The integers an instance is made of; see the module documentation.
#[derive(Clone, Debug)]
pub struct Gen {
    pub m: usize,
    pub d: usize,
    /// `B_i`, row-major d×d.
    pub bmats: Vec<Vec<i64>>,
    /// `b_i = bvecs[i] / 2`.
    pub bvecs: Vec<Vec<i64>>,
    /// `C`, row-major d×d; `A_0 = CᵀC`.
    pub cmat: Vec<i64>,
    /// `b_0 = b0 / 2`.
    pub b0: Vec<i64>,
    /// `w = wnum / Σ wnum`.
    pub wnum: Vec<u32>,
}

/// `BᵀB` for a row-major d×d integer matrix.
pub fn gram(b: &[i64], d: usize) -> Vec<Vec<i64>> {
    (0..d)
        .map(|j| {
            (0..d)
                .map(|k| (0..d).map(|r| b[r * d + j] * b[r * d + k]).sum())
                .collect()
        })
        .collect()
}

impl Gen {
    pub fn a(&self, i: usize) -> Vec<Vec<i64>> {
        let mut a = gram(&self.bmats[i], self.d);
        for (j, row) in a.iter_mut().enumerate() {
            row[j] += 1;
        }
        a
    }

    pub fn max_trace(&self) -> i64 {
        (0..self.m)
            .map(|i| (0..self.d).map(|j| self.a(i)[j][j]).sum::<i64>())
            .max()
            .expect("m ≥ 2")
    }

    pub fn w(&self) -> Vec<Rational> {
        let s: u32 = self.wnum.iter().sum();
        self.wnum.iter().map(|&k| Rational::from((k, s))).collect()
    }

    /// The instance file, every number a string.
    pub fn json(&self) -> String {
        let mat = |a: &[Vec<i64>]| {
            let rows: Vec<String> = a
                .iter()
                .map(|row| {
                    let r: Vec<String> = row.iter().map(|x| format!("\"{x}\"")).collect();
                    format!("[{}]", r.join(", "))
                })
                .collect();
            format!("[{}]", rows.join(", "))
        };
        let half = |v: &[i64]| {
            let r: Vec<String> = v.iter().map(|x| format!("\"{x}/2\"")).collect();
            format!("[{}]", r.join(", "))
        };
        let domains: Vec<String> = (0..self.m)
            .map(|i| {
                format!(
                    "{{\"name\": \"d{i}\", \"A\": {}, \"b\": {}}}",
                    mat(&self.a(i)),
                    half(&self.bvecs[i])
                )
            })
            .collect();
        let w: Vec<String> = self.w().iter().map(|q| format!("\"{q}\"")).collect();
        format!(
            "{{\"name\": \"random\", \"domains\": [{}], \
             \"validation\": {{\"A\": {}, \"b\": {}}}, \
             \"eta\": \"1/{}\", \"alpha\": \"1/10\", \"w0\": [{}]}}",
            domains.join(", "),
            mat(&gram(&self.cmat, self.d)),
            half(&self.b0),
            1 + self.max_trace(),
            w.join(", ")
        )
    }

    pub fn instance(&self) -> Instance {
        let text = self.json();
        match Instance::from_json_str(&text) {
            Ok(inst) => inst,
            Err(e) => panic!("generated instance refused: {e}\n{text}"),
        }
    }
}

pub fn gen_strategy(max_d: usize) -> impl Strategy<Value = Gen> {
    (2usize..=3, 1usize..=max_d).prop_flat_map(|(m, d)| {
        (
            pvec(pvec(-2i64..=2, d * d), m),
            pvec(pvec(-6i64..=6, d), m),
            pvec(-2i64..=2, d * d),
            pvec(-6i64..=6, d),
            pvec(1u32..=9, m),
        )
            .prop_map(move |(bmats, bvecs, cmat, b0, wnum)| Gen {
                m,
                d,
                bmats,
                bvecs,
                cmat,
                b0,
                wnum,
            })
    })
}
