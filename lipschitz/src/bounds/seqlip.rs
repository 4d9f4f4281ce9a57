//! SeqLip (Virmaux & Scaman, 2018): exhaustive (certified) and greedy (estimate).

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::error::{LipError, Result};
use megavolt_core::math::ldexp;

use crate::network::{ReluNet, layer_exponents, unbalance_upper};
use crate::norms::spectral_norm;

/// Result of SeqLip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeqLip {
    /// The product of the per-layer factors.
    pub value: f64,
    /// One factor `max_sigma |M_l(sigma)|_2` per hidden layer.
    pub factors: Vec<f64>,
    /// The maximising (or, greedy, the final) pattern of each hidden layer.
    pub patterns: Vec<Vec<bool>>,
    /// `true` for the exhaustive search (an upper bound), `false` for the greedy search (an
    /// estimate that may fall below the constant).
    pub certified: bool,
    /// Number of spectral norms evaluated.
    pub evaluations: usize,
}

/// Per hidden layer `l`, the rank-one terms of
/// `M_l(sigma) = S_{l+1} V_{l+1}^T diag(sigma) U_l S_l = sum_k sigma_k a_k b_k^T`.
struct Factor {
    terms: Vec<(Vec<f64>, Vec<f64>)>,
    rows: usize,
    cols: usize,
}

/// SVD `W = U diag(s) V^T` of every layer, then the factors of the decomposition
/// `J = U_m [S_m V_m^T D_{m-1} U_{m-1} S_{m-1}^{1/2}] ... [S_2^{1/2} V_2^T D_1 U_1 S_1] V_1^T`.
fn factors(net: &ReluNet) -> Result<Vec<Factor>> {
    let m = net.depth();
    let mut svds = Vec::with_capacity(m);
    for w in net.weights() {
        let svd = w
            .thin_svd()
            .map_err(|_| LipError::Decomposition { rows: w.nrows(), cols: w.ncols() })?;
        let s: Vec<f64> = svd.S().column_vector().iter().copied().collect();
        svds.push((svd.U().to_owned(), s, svd.V().to_owned()));
    }
    let mut out = Vec::with_capacity(m - 1);
    for l in 0..m - 1 {
        let (u, s_lo, _) = &svds[l];
        let (_, s_hi, v) = &svds[l + 1];
        let right: Vec<f64> = s_lo.iter().map(|&x| if l == 0 { x } else { x.sqrt() }).collect();
        let left: Vec<f64> =
            s_hi.iter().map(|&x| if l + 1 == m - 1 { x } else { x.sqrt() }).collect();
        let n = u.nrows();
        let terms = (0..n)
            .map(|k| {
                let a: Vec<f64> = (0..left.len()).map(|r| left[r] * v[(k, r)]).collect();
                let b: Vec<f64> = (0..right.len()).map(|c| u[(k, c)] * right[c]).collect();
                (a, b)
            })
            .collect();
        out.push(Factor { terms, rows: left.len(), cols: right.len() });
    }
    Ok(out)
}

/// SeqLip on the balanced network (see [`ReluNet::balanced`]), scaled back: factor `l` carries
/// `sqrt(2^e_l 2^e_{l+1})`, with the full power for the first and the last layer.
fn on_balanced_seqlip(
    net: &ReluNet,
    run: impl FnOnce(&ReluNet) -> Result<SeqLip>,
) -> Result<SeqLip> {
    let (unit, total) = net.balanced_weights();
    let mut r = run(&unit)?;
    r.value = unbalance_upper(net, r.value, total)?;
    let e = layer_exponents(net);
    let m = e.len();
    for (l, f) in r.factors.iter_mut().enumerate() {
        let half =
            if l == 0 { 2 * e[l] } else { e[l] } + if l + 2 == m { 2 * e[l + 1] } else { e[l + 1] };
        *f = ldexp(*f, half.div_euclid(2))
            * if half % 2 == 0 { 1.0 } else { std::f64::consts::SQRT_2 };
    }
    Ok(r)
}

fn add_term(m: &mut Mat<f64>, term: &(Vec<f64>, Vec<f64>), sign: f64) {
    for (j, bj) in term.1.iter().enumerate() {
        for (i, ai) in term.0.iter().enumerate() {
            m[(i, j)] += sign * ai * bj;
        }
    }
}

fn factor_norm(f: &Factor, sigma: &[bool]) -> Result<f64> {
    let mut m = Mat::zeros(f.rows, f.cols);
    for (t, &on) in f.terms.iter().zip(sigma) {
        if on {
            add_term(&mut m, t, 1.0);
        }
    }
    spectral_norm(m.as_ref())
}

/// SeqLip with an exhaustive search over the `2^{n_l}` patterns of every hidden layer: a
/// certified l2 upper bound,
///
/// ```text
/// L <= prod_{l=1}^{m-1} max_{sigma in {0,1}^{n_l}} | S~_{l+1} V_{l+1}^T diag(sigma) U_l S~_l |_2,
/// ```
///
/// with `W_l = U_l S_l V_l^T`, `S~ = S^{1/2}` inside and `S~ = S` for `W_1` and `W_m`. The
/// maximum over `[0, 1]^{n_l}` of a convex function is attained at a vertex, so the search is
/// exact for each factor; with one hidden layer the bound is `max_D |W_2 D W_1|_2`, exact over
/// all patterns (realisable or not).
///
/// | parameter | meaning | valid |
/// |---|---|---|
/// | `max_width` | largest hidden width searched exhaustively | `1..=24` |
///
/// Cost: `sum_l 2^{n_l}` rank-one updates (Gray code) and spectral norms of small matrices.
///
/// ```
/// use lipschitz::{ReluNet, bounds::seqlip_exhaustive};
/// let id = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, -1.0]]], None)?;
/// assert!((seqlip_exhaustive(&id, 16)?.value - 2.0).abs() < 1e-12);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] if `max_width` is 0 or above 24; [`LipError::TooLarge`] if
/// a hidden width exceeds `max_width`; [`LipError::Decomposition`] if an SVD fails.
///
/// # References
/// A. Virmaux and K. Scaman, *Lipschitz regularity of deep neural networks: analysis and
/// efficient estimation*, NeurIPS 2018, Theorem 3 and Section 5 (SeqLip).
pub fn seqlip_exhaustive(net: &ReluNet, max_width: usize) -> Result<SeqLip> {
    on_balanced_seqlip(net, |unit| seqlip_exhaustive_balanced(unit, max_width))
}

fn seqlip_exhaustive_balanced(net: &ReluNet, max_width: usize) -> Result<SeqLip> {
    if max_width == 0 || max_width > 24 {
        return Err(LipError::invalid("max_width", max_width, "1..=24"));
    }
    let sizes = net.sizes();
    if let Some(&w) = sizes[1..net.depth()].iter().find(|&&w| w > max_width) {
        return Err(LipError::TooLarge { what: "hidden width", size: w, limit: max_width });
    }
    if net.depth() == 1 {
        let v = spectral_norm(net.weights()[0].as_ref())?;
        return Ok(SeqLip {
            value: v,
            factors: vec![],
            patterns: vec![],
            certified: true,
            evaluations: 1,
        });
    }
    let mut value = 1.0;
    let mut fs = Vec::new();
    let mut patterns = Vec::new();
    let mut evaluations = 0;
    for f in factors(net)? {
        let n = f.terms.len();
        let mut m = Mat::zeros(f.rows, f.cols);
        let mut sigma = vec![false; n];
        let mut best = (0.0, sigma.clone());
        // Gray code: step g flips bit trailing_zeros(g).
        for g in 1u64..(1u64 << n) {
            let k = g.trailing_zeros() as usize;
            sigma[k] = !sigma[k];
            add_term(&mut m, &f.terms[k], if sigma[k] { 1.0 } else { -1.0 });
            let v = spectral_norm(m.as_ref())?;
            evaluations += 1;
            if v > best.0 {
                best = (v, sigma.clone());
            }
        }
        // Rounding in the Gray-code updates: recompute the winner from scratch.
        let exact = factor_norm(&f, &best.1)?;
        value *= exact;
        fs.push(exact);
        patterns.push(best.1);
    }
    Ok(SeqLip { value, factors: fs, patterns, certified: true, evaluations })
}

/// Greedy SeqLip: per hidden layer, start from all units active and flip single units while the
/// factor increases (first improvement, at most `4 n_l` sweeps). **An estimate, not a
/// certificate**: the local maximum may lie below the exhaustive factor, so the product may
/// fall below the Lipschitz constant.
///
/// ```
/// use lipschitz::{ReluNet, bounds::seqlip_greedy};
/// let id = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, -1.0]]], None)?;
/// let s = seqlip_greedy(&id)?;
/// assert!(!s.certified);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::Decomposition`] if an SVD fails.
///
/// # References
/// A. Virmaux and K. Scaman, NeurIPS 2018, Section 5 (greedy SeqLip).
pub fn seqlip_greedy(net: &ReluNet) -> Result<SeqLip> {
    on_balanced_seqlip(net, seqlip_greedy_balanced)
}

fn seqlip_greedy_balanced(net: &ReluNet) -> Result<SeqLip> {
    if net.depth() == 1 {
        let v = spectral_norm(net.weights()[0].as_ref())?;
        return Ok(SeqLip {
            value: v,
            factors: vec![],
            patterns: vec![],
            certified: false,
            evaluations: 1,
        });
    }
    let mut value = 1.0;
    let mut fs = Vec::new();
    let mut patterns = Vec::new();
    let mut evaluations = 0;
    for f in factors(net)? {
        let n = f.terms.len();
        let mut sigma = vec![true; n];
        let mut best = factor_norm(&f, &sigma)?;
        evaluations += 1;
        for _ in 0..4 * n {
            let mut improved = false;
            for k in 0..n {
                sigma[k] = !sigma[k];
                let v = factor_norm(&f, &sigma)?;
                evaluations += 1;
                if v > best {
                    best = v;
                    improved = true;
                } else {
                    sigma[k] = !sigma[k];
                }
            }
            if !improved {
                break;
            }
        }
        value *= best;
        fs.push(best);
        patterns.push(sigma);
    }
    Ok(SeqLip { value, factors: fs, patterns, certified: false, evaluations })
}
