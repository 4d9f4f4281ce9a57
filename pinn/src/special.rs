//! Special functions needed by the closed-form Gram matrices: `sinc` and the Bessel function
//! `J_1`.

/// The normalised sinc function `sin(pi u) / (pi u)`, equal to 1 at `u = 0`.
///
/// ```
/// assert!((pinn::special::sinc(0.5) - 2.0 / std::f64::consts::PI).abs() < 1e-15);
/// assert_eq!(pinn::special::sinc(0.0), 1.0);
/// ```
pub fn sinc(u: f64) -> f64 {
    if u.abs() < 1e-8 {
        // Taylor: 1 - (pi u)^2 / 6, the next term is below rounding.
        let x = std::f64::consts::PI * u;
        1.0 - x * x / 6.0
    } else {
        let x = std::f64::consts::PI * u;
        x.sin() / x
    }
}

/// The Bessel function of the first kind of order one, `J_1(x)`.
///
/// Computed by Miller's backward recurrence `J_{k-1} = (2k/x) J_k - J_{k+1}`, started well above
/// the order where the sequence is negligible and normalised with the identity
/// `1 = J_0(x) + 2 sum_{k >= 1} J_{2k}(x)`. The recurrence is stable backwards, so the result
/// is accurate to a few ulps of `max(|J_1|, eps)` for every real `x`. `J_1` is odd.
///
/// # References
/// Abramowitz and Stegun, *Handbook of Mathematical Functions* (1964), 9.1.27 (recurrence) and
/// 9.1.46 (normalisation).
///
/// ```
/// // First positive zero of J_1.
/// assert!(pinn::special::bessel_j1(3.831_705_970_207_512).abs() < 1e-15);
/// ```
pub fn bessel_j1(x: f64) -> f64 {
    if x < 0.0 {
        return -bessel_j1(-x);
    }
    if x < 1e-8 {
        return 0.5 * x;
    }
    // Start order: beyond x the terms decay super-exponentially; the margin covers 1e-17.
    let start = 2 * ((x as usize + 30 + (40.0 * x).sqrt() as usize) / 2);
    let (mut j_next, mut j_cur) = (0.0_f64, 1e-300_f64);
    let mut norm = 0.0_f64;
    let mut j1 = 0.0_f64;
    for k in (1..=start).rev() {
        let j_prev = 2.0 * k as f64 / x * j_cur - j_next;
        j_next = j_cur;
        j_cur = j_prev;
        // j_cur now holds J_{k-1} (unnormalised).
        let order = k - 1;
        if order == 1 {
            j1 = j_cur;
        }
        if order > 0 && order % 2 == 0 {
            norm += 2.0 * j_cur;
        }
        if j_cur.abs() > 1e250 {
            j_cur *= 1e-250;
            j_next *= 1e-250;
            norm *= 1e-250;
            j1 *= 1e-250;
        }
    }
    norm += j_cur;
    j1 / norm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn j1_matches_tabulated_values() {
        // Values of J_1 from Abramowitz and Stegun, Table 9.1, and its zeros (Table 9.5).
        let table = [
            (0.5, 0.242_268_457_674_873_9),
            (1.0, 0.440_050_585_744_933_5),
            (2.5, 0.497_094_102_464_274_1),
            (10.0, 0.043_472_746_168_861_44),
        ];
        for (x, v) in table {
            assert!((bessel_j1(x) - v).abs() < 1e-14, "J1({x}) = {}", bessel_j1(x));
            assert!((bessel_j1(-x) + v).abs() < 1e-14);
        }
        for zero in [
            3.831_705_970_207_512,
            7.015_586_669_815_619,
            10.173_468_135_062_722,
            13.323_691_936_314_223,
        ] {
            assert!(bessel_j1(zero).abs() < 1e-14, "J1({zero}) = {}", bessel_j1(zero));
        }
    }

    #[test]
    fn j1_large_argument_matches_hankel_expansion() {
        // A&S 9.2.5-9.2.10 with mu = 4: J_1 = sqrt(2/(pi x)) (P cos chi - Q sin chi),
        // chi = x - 3 pi / 4, P = 1 + 15/(128 x^2), Q = 3/(8x) - 315/(3072 x^3); error O(x^-4.5).
        for x in [60.0_f64, 200.0] {
            let chi = x - 0.75 * std::f64::consts::PI;
            let p = 1.0 + 15.0 / (128.0 * x * x);
            let q = 3.0 / (8.0 * x) - 315.0 / (3072.0 * x.powi(3));
            let approx =
                (2.0 / (std::f64::consts::PI * x)).sqrt() * (p * chi.cos() - q * chi.sin());
            assert!((bessel_j1(x) - approx).abs() < 1e-9, "x = {x}");
        }
    }

    #[test]
    fn sinc_values() {
        assert!((sinc(1.0)).abs() < 1e-16);
        assert!((sinc(1e-9) - 1.0).abs() < 1e-15);
        assert!((sinc(-0.5) - sinc(0.5)).abs() < 1e-16);
    }
}
