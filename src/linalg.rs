//! Dense linear algebra over [`Scalar`], written once for every backend.
//!
//! Small and square is the case that matters (d ≤ a few dozen), so a
//! row-major `Vec` is enough. The solve is Gaussian elimination with partial
//! pivoting, exact on `Exact`; [`Matrix::solve_spd`] is the pivot-free LDLᵀ
//! solve for symmetric positive definite matrices (no comparisons, so it
//! runs on intervals); the definiteness tests are symmetric
//! elimination (LDLᵀ), exact on `Exact` and therefore used to validate
//! instance files whatever backend later runs them.

use crate::num::Scalar;

/// A dense row-major matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix<T> {
    rows: usize,
    cols: usize,
    data: Vec<T>,
}

impl<T: Scalar> Matrix<T> {
    /// The `rows × cols` zero matrix.
    pub fn zeros(rows: usize, cols: usize, ctx: &T::Ctx) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![T::zero(ctx); rows * cols],
        }
    }

    /// The `n × n` identity.
    pub fn identity(n: usize, ctx: &T::Ctx) -> Self {
        let mut m = Self::zeros(n, n, ctx);
        for i in 0..n {
            m[(i, i)] = T::one(ctx);
        }
        m
    }

    /// Builds from rows; `None` when the rows have different lengths.
    pub fn from_rows(rows: Vec<Vec<T>>) -> Option<Self> {
        let r = rows.len();
        let c = rows.first().map_or(0, Vec::len);
        if rows.iter().any(|row| row.len() != c) {
            return None;
        }
        Some(Matrix {
            rows: r,
            cols: c,
            data: rows.into_iter().flatten().collect(),
        })
    }

    /// Builds from columns of equal length.
    pub fn from_columns(cols: &[Vec<T>], ctx: &T::Ctx) -> Self {
        let c = cols.len();
        let r = cols.first().map_or(0, Vec::len);
        let mut m = Self::zeros(r, c, ctx);
        for (j, col) in cols.iter().enumerate() {
            for (i, x) in col.iter().enumerate() {
                m[(i, j)] = x.clone();
            }
        }
        m
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `i` as a slice.
    pub fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Column `j`, copied.
    pub fn column(&self, j: usize) -> Vec<T> {
        (0..self.rows).map(|i| self[(i, j)].clone()).collect()
    }

    /// Converts every entry (e.g. exact data to a backend).
    pub fn map<U>(&self, f: impl Fn(&T) -> U) -> Matrix<U> {
        Matrix {
            rows: self.rows,
            cols: self.cols,
            data: self.data.iter().map(f).collect(),
        }
    }

    /// Entries in row-major order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.data.iter()
    }

    /// `A x`.
    pub fn mul_vec(&self, x: &[T]) -> Vec<T> {
        assert_eq!(x.len(), self.cols, "dimension mismatch in A x");
        (0..self.rows).map(|i| dot(self.row(i), x)).collect()
    }

    /// `Aᵀ x`.
    pub fn tr_mul_vec(&self, x: &[T]) -> Vec<T> {
        assert_eq!(x.len(), self.rows, "dimension mismatch in Aᵀ x");
        (0..self.cols)
            .map(|j| {
                let mut s = self[(0, j)].clone() * &x[0];
                for i in 1..self.rows {
                    s += self[(i, j)].clone() * &x[i];
                }
                s
            })
            .collect()
    }

    /// `A B`.
    pub fn mul_mat(&self, b: &Matrix<T>) -> Matrix<T> {
        assert_eq!(self.cols, b.rows, "dimension mismatch in A B");
        let mut data = Vec::with_capacity(self.rows * b.cols);
        for i in 0..self.rows {
            let ri = self.row(i);
            for j in 0..b.cols {
                let mut s = ri[0].clone() * &b[(0, j)];
                for (k, rik) in ri.iter().enumerate().skip(1) {
                    s += rik.clone() * &b[(k, j)];
                }
                data.push(s);
            }
        }
        Matrix {
            rows: self.rows,
            cols: b.cols,
            data,
        }
    }

    /// `self += c · B`.
    pub fn add_scaled(&mut self, c: &T, b: &Matrix<T>) {
        assert_eq!((self.rows, self.cols), (b.rows, b.cols));
        for (x, y) in self.data.iter_mut().zip(&b.data) {
            *x += c.clone() * y;
        }
    }

    /// `Aᵀ`.
    pub fn transpose(&self) -> Matrix<T> {
        let mut data = Vec::with_capacity(self.data.len());
        for j in 0..self.cols {
            for i in 0..self.rows {
                data.push(self[(i, j)].clone());
            }
        }
        Matrix {
            rows: self.cols,
            cols: self.rows,
            data,
        }
    }

    /// `c · self`.
    pub fn scaled(&self, c: &T) -> Matrix<T> {
        self.map(|x| x.clone() * c)
    }

    /// `self − B`.
    pub fn sub(&self, b: &Matrix<T>) -> Matrix<T> {
        assert_eq!((self.rows, self.cols), (b.rows, b.cols));
        Matrix {
            rows: self.rows,
            cols: self.cols,
            data: self
                .data
                .iter()
                .zip(&b.data)
                .map(|(x, y)| x.clone() - y)
                .collect(),
        }
    }

    /// True when the matrix is square and equal to its transpose, exactly.
    pub fn is_symmetric(&self) -> bool {
        self.rows == self.cols
            && (0..self.rows).all(|i| (0..i).all(|j| self[(i, j)] == self[(j, i)]))
    }

    /// Solves `A x = b` by Gaussian elimination with partial pivoting (the
    /// largest pivot in absolute value; on `Exact` any nonzero pivot would
    /// do and the answer is exact). `None` when a pivot is exactly zero.
    pub fn solve(&self, b: &[T]) -> Option<Vec<T>> {
        let n = self.rows;
        assert_eq!(self.cols, n, "solve needs a square matrix");
        assert_eq!(b.len(), n, "dimension mismatch in solve");
        let mut a = self.data.clone();
        let mut x: Vec<T> = b.to_vec();
        for col in 0..n {
            let mut piv = col;
            let mut best = a[col * n + col].abs();
            for r in col + 1..n {
                let v = a[r * n + col].abs();
                if v > best {
                    best = v;
                    piv = r;
                }
            }
            if best.is_zero() || !best.is_finite() {
                return None;
            }
            if piv != col {
                for j in 0..n {
                    a.swap(col * n + j, piv * n + j);
                }
                x.swap(col, piv);
            }
            let p = a[col * n + col].clone();
            for r in col + 1..n {
                if a[r * n + col].is_zero() {
                    continue;
                }
                let f = a[r * n + col].clone() / &p;
                for j in col + 1..n {
                    let t = f.clone() * &a[col * n + j];
                    a[r * n + j] -= t;
                }
                let t = f * &x[col];
                x[r] -= t;
            }
        }
        for i in (0..n).rev() {
            let mut s = x[i].clone();
            for j in i + 1..n {
                s -= a[i * n + j].clone() * &x[j];
            }
            x[i] = s / &a[i * n + i];
        }
        Some(x)
    }

    /// Solves `A x = b` for a symmetric positive definite `A` by `A = L D Lᵀ`
    /// without pivoting: only field operations, no comparisons, so it runs
    /// unchanged on intervals (where a pivoting decision could be
    /// undecidable). Reads the lower triangle only (symmetry is assumed).
    /// `None` when a pivot `D_jj` is exactly zero or not finite; on `Exact`
    /// the answer is the exact solution, as with [`Matrix::solve`].
    pub fn solve_spd(&self, b: &[T]) -> Option<Vec<T>> {
        let n = self.rows;
        assert_eq!(self.cols, n, "solve_spd needs a square matrix");
        assert_eq!(b.len(), n, "dimension mismatch in solve_spd");
        // l[(i, k)] for k < i holds L; d holds D.
        let mut l: Vec<T> = self.data.clone();
        let mut d: Vec<T> = Vec::with_capacity(n);
        let mut v: Vec<T> = Vec::with_capacity(n);
        for j in 0..n {
            // v_k = L_jk D_k for k < j.
            v.clear();
            v.extend((0..j).map(|k| l[j * n + k].clone() * &d[k]));
            let mut dj = self[(j, j)].clone();
            for (k, vk) in v.iter().enumerate() {
                dj -= l[j * n + k].clone() * vk;
            }
            if dj.is_zero() || !dj.is_finite() {
                return None;
            }
            for i in j + 1..n {
                let mut s = self[(i, j)].clone();
                for (k, vk) in v.iter().enumerate() {
                    s -= l[i * n + k].clone() * vk;
                }
                l[i * n + j] = s / &dj;
            }
            d.push(dj);
        }
        // L y = b, then D z = y, then Lᵀ x = z.
        let mut x: Vec<T> = b.to_vec();
        for i in 0..n {
            for k in 0..i {
                let t = l[i * n + k].clone() * &x[k];
                x[i] -= t;
            }
        }
        for (xi, di) in x.iter_mut().zip(&d) {
            *xi = xi.clone() / di;
        }
        for i in (0..n).rev() {
            for k in i + 1..n {
                let t = l[k * n + i].clone() * &x[k];
                x[i] -= t;
            }
        }
        Some(x)
    }

    /// Determinant by elimination (exact on `Exact`).
    pub fn determinant(&self, ctx: &T::Ctx) -> T {
        let n = self.rows;
        assert_eq!(self.cols, n, "determinant needs a square matrix");
        let mut a = self.data.clone();
        let mut det = T::one(ctx);
        for col in 0..n {
            let piv = (col..n).find(|&r| !a[r * n + col].is_zero());
            let Some(piv) = piv else {
                return T::zero(ctx);
            };
            if piv != col {
                for j in 0..n {
                    a.swap(col * n + j, piv * n + j);
                }
                det = -det;
            }
            let p = a[col * n + col].clone();
            for r in col + 1..n {
                let f = a[r * n + col].clone() / &p;
                for j in col + 1..n {
                    let t = f.clone() * &a[col * n + j];
                    a[r * n + j] -= t;
                }
            }
            det *= p;
        }
        det
    }

    /// The pivots of symmetric elimination without row exchanges, i.e. the
    /// `D` of `A = L D Lᵀ` (Sylvester: all positive ⟺ positive definite).
    /// A zero pivot whose remaining row is zero is kept (value 0) and its row
    /// skipped, which is how a positive *semi*definite matrix looks; a zero
    /// pivot with a nonzero remaining row proves the matrix indefinite, and
    /// `None` is returned. Exact on `Exact`.
    pub fn ldlt_pivots(&self) -> Option<Vec<T>> {
        let n = self.rows;
        assert_eq!(self.cols, n, "LDLᵀ needs a square matrix");
        let mut a = self.data.clone();
        let mut d = Vec::with_capacity(n);
        for k in 0..n {
            let p = a[k * n + k].clone();
            if p.is_zero() {
                if (k + 1..n).any(|j| !a[k * n + j].is_zero()) {
                    return None;
                }
                d.push(p);
                continue;
            }
            for i in k + 1..n {
                let f = a[i * n + k].clone() / &p;
                for j in k + 1..n {
                    let t = f.clone() * &a[k * n + j];
                    a[i * n + j] -= t;
                }
            }
            d.push(p);
        }
        Some(d)
    }

    /// Positive definite (symmetric input assumed): every LDLᵀ pivot > 0.
    pub fn is_positive_definite(&self) -> bool {
        self.ldlt_pivots().is_some_and(|d| {
            d.iter()
                .all(|p| p.is_finite() && !p.is_zero() && p.abs() == *p)
        })
    }

    /// Positive semidefinite (symmetric input assumed): every pivot ≥ 0 and
    /// no zero pivot with a nonzero row. For a PSD matrix a zero diagonal
    /// entry forces its row to vanish, and the Schur complement of a
    /// positive pivot is again PSD, so the test is exact on `Exact`.
    pub fn is_positive_semidefinite(&self) -> bool {
        self.ldlt_pivots()
            .is_some_and(|d| d.iter().all(|p| p.is_finite() && p.abs() == *p))
    }
}

impl<T> std::ops::Index<(usize, usize)> for Matrix<T> {
    type Output = T;
    fn index(&self, (i, j): (usize, usize)) -> &T {
        &self.data[i * self.cols + j]
    }
}

impl<T> std::ops::IndexMut<(usize, usize)> for Matrix<T> {
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut T {
        &mut self.data[i * self.cols + j]
    }
}

/// `xᵀ y`.
pub fn dot<T: Scalar>(x: &[T], y: &[T]) -> T {
    assert_eq!(x.len(), y.len(), "dimension mismatch in dot");
    let mut s = x[0].clone() * &y[0];
    for (a, b) in x.iter().zip(y).skip(1) {
        s += a.clone() * b;
    }
    s
}

/// `x − y`.
pub fn sub<T: Scalar>(x: &[T], y: &[T]) -> Vec<T> {
    x.iter().zip(y).map(|(a, b)| a.clone() - b).collect()
}

/// `x + c y`.
pub fn axpy<T: Scalar>(x: &[T], c: &T, y: &[T]) -> Vec<T> {
    x.iter()
        .zip(y)
        .map(|(a, b)| a.clone() + &(c.clone() * b))
        .collect()
}

/// `c x`.
pub fn scale<T: Scalar>(c: &T, x: &[T]) -> Vec<T> {
    x.iter().map(|a| c.clone() * a).collect()
}

/// `‖x‖²`.
pub fn norm2<T: Scalar>(x: &[T]) -> T {
    dot(x, x)
}

/// Sum of entries.
pub fn sum<T: Scalar>(x: &[T], ctx: &T::Ctx) -> T {
    x.iter().fold(T::zero(ctx), |s, a| s + a)
}

/// Eigenvalues of a symmetric matrix, ascending, in f64 (for reporting μ, L
/// and ρ; exact decisions use the LDLᵀ tests instead).
pub fn symmetric_eigenvalues_f64<T: Scalar>(a: &Matrix<T>) -> Vec<f64> {
    let n = a.rows();
    let m = nalgebra::DMatrix::from_fn(n, n, |i, j| a[(i, j)].to_f64());
    let mut ev: Vec<f64> = m.symmetric_eigenvalues().iter().copied().collect();
    ev.sort_by(f64::total_cmp);
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use rug::Rational;

    fn q(n: i64, d: i64) -> Rational {
        Rational::from((n, d))
    }

    #[test]
    fn exact_solve_is_exact() {
        let a = Matrix::from_rows(vec![vec![q(0, 1), q(2, 1)], vec![q(3, 1), q(1, 2)]]).unwrap();
        let x = vec![q(1, 3), q(-5, 7)];
        let b = a.mul_vec(&x);
        assert_eq!(a.solve(&b).unwrap(), x);
    }

    #[test]
    fn spd_solve_is_exact_and_refuses_zero_pivots() {
        let a = Matrix::from_rows(vec![
            vec![q(4, 1), q(1, 1), q(-1, 2)],
            vec![q(1, 1), q(3, 1), q(1, 3)],
            vec![q(-1, 2), q(1, 3), q(2, 1)],
        ])
        .unwrap();
        let x = vec![q(1, 3), q(-5, 7), q(2, 1)];
        let b = a.mul_vec(&x);
        assert_eq!(a.solve_spd(&b).unwrap(), x);
        assert_eq!(a.solve(&b).unwrap(), x);
        let z = Matrix::from_rows(vec![vec![q(0, 1), q(1, 1)], vec![q(1, 1), q(0, 1)]]).unwrap();
        assert!(z.solve_spd(&[q(1, 1), q(1, 1)]).is_none());
    }

    #[test]
    fn definiteness_tests_are_exact() {
        let pd = Matrix::from_rows(vec![vec![q(2, 1), q(1, 1)], vec![q(1, 1), q(2, 1)]]).unwrap();
        let psd = Matrix::from_rows(vec![vec![q(1, 1), q(1, 1)], vec![q(1, 1), q(1, 1)]]).unwrap();
        let indef =
            Matrix::from_rows(vec![vec![q(0, 1), q(1, 1)], vec![q(1, 1), q(0, 1)]]).unwrap();
        assert!(pd.is_positive_definite() && pd.is_positive_semidefinite());
        assert!(!psd.is_positive_definite() && psd.is_positive_semidefinite());
        assert!(!indef.is_positive_definite() && !indef.is_positive_semidefinite());
        assert_eq!(pd.determinant(&()), q(3, 1));
    }
}
