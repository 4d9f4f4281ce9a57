//! Scale invariance of every bound and of the exact value.
//!
//! ReLU is positively homogeneous, so multiplying `W_l` by `c_l > 0` and `b_l` by
//! `c_1 ... c_l` multiplies the network, hence its Lipschitz constant and every bound, by
//! `c_1 ... c_m`. With `c_l` powers of two the scaled network balances to the same network as
//! the original (`ReluNet::balanced`), so each result must be the original one times
//! `2^(sum of exponents)` exactly; with `c_l` powers of ten the weights are rounded once, so the
//! results agree to a few units of rounding.

use faer::{Col, Mat};
use lipschitz::bounds::{
    FirstOrderConfig, abs_product, combettes_pesquet, combettes_pesquet_norm, jacobian_interval,
    lipsdp_first_order, norm_product, norm_product_power, seqlip_exhaustive, seqlip_greedy,
    split_abs,
};
use lipschitz::lipsdp_ipm::{IpmConfig, lipsdp_neuron_ipm};
use lipschitz::{
    ExactConfig, LipError, LowerConfig, Norm, ReluNet, exact_lipschitz, ldexp, sampled_lower_bound,
};
use megavolt_core::Seed;

/// `net` with `W_l` multiplied by `scale[l]` and `b_l` by `scale[0] ... scale[l]`.
fn rescaled(net: &ReluNet, scale: &[f64]) -> ReluNet {
    let mut cumulative = 1.0;
    let (mut weights, mut biases) = (Vec::new(), Vec::new());
    // Biases scale with the product so far; a scaling whose products overflow keeps zero
    // biases.
    for ((w, b), &c) in net.weights().iter().zip(net.biases()).zip(scale) {
        cumulative *= c;
        weights.push(Mat::from_fn(w.nrows(), w.ncols(), |i, j| w[(i, j)] * c));
        biases.push(Col::from_fn(b.nrows(), |i| b[i] * cumulative));
    }
    if biases.iter().all(|b| b.iter().all(|v| v.is_finite())) {
        ReluNet::new(weights, Some(biases)).unwrap()
    } else {
        ReluNet::new(weights, None).unwrap()
    }
}

fn random_net(sizes: &[usize], seed: u64) -> ReluNet {
    ReluNet::random(sizes, 2f64.sqrt(), 0.5, &mut Seed::new(seed).stream("scale")).unwrap()
}

/// Every f64-valued bound of the crate, by name.
fn bounds(net: &ReluNet) -> Vec<(&'static str, f64)> {
    let mut out = Vec::new();
    for norm in [Norm::L1, Norm::L2, Norm::LInf] {
        out.push(("product", norm_product(net, norm).unwrap()));
        out.push(("abs-product", abs_product(net, norm).unwrap()));
        out.push(("jacobian-interval", jacobian_interval(net, norm).unwrap()));
        out.push(("combettes-pesquet-norm", combettes_pesquet_norm(net, norm).unwrap()));
        out.push(("split-abs", split_abs(net, norm).unwrap()));
    }
    out.push(("combettes-pesquet", combettes_pesquet(net).unwrap()));
    out.push(("product-power", norm_product_power(net, 30, 2).unwrap()));
    out.push(("seqlip", seqlip_exhaustive(net, 12).unwrap().value));
    out.push(("seqlip-greedy", seqlip_greedy(net).unwrap().value));
    let fo = lipsdp_first_order(net, &FirstOrderConfig::new(200, 1e-9).unwrap()).unwrap();
    out.push(("lipsdp-first-order", fo.value));
    out.push(("lipsdp-first-order-initial", fo.initial));
    out.push(("exact-l1", exact_lipschitz(net, &ExactConfig::new(Norm::L1)).unwrap().value));
    out.push(("exact-linf", exact_lipschitz(net, &ExactConfig::new(Norm::LInf)).unwrap().value));
    out
}

#[test]
fn power_of_two_scaling_multiplies_every_bound_exactly() {
    let net = random_net(&[3, 6, 5, 2], 11);
    // Layers scaled by 2^700, 2^-650 and 2^400: the total 2^450 keeps the constant and
    // LipSDP's rho = L^2 (about 2^900) representable, while a product taken layer by layer
    // from the last would overflow.
    let exps = [700, -650, 400];
    let scale: Vec<f64> = exps.iter().map(|&e| ldexp(1.0, e)).collect();
    let big = rescaled(&net, &scale);
    let total: i32 = exps.iter().sum();
    for ((name, v), (_, w)) in bounds(&net).into_iter().zip(bounds(&big)) {
        assert!(v > 0.0, "{name}: {v}");
        assert_eq!(w.to_bits(), ldexp(v, total).to_bits(), "{name}");
    }
    let cfg = IpmConfig::new(1e-9, 100).unwrap();
    let (a, b) = (lipsdp_neuron_ipm(&net, &cfg).unwrap(), lipsdp_neuron_ipm(&big, &cfg).unwrap());
    assert_eq!(b.value.to_bits(), ldexp(a.value, total).to_bits());
    assert_eq!(b.rho.to_bits(), ldexp(a.rho, 2 * total).to_bits());
    // Multipliers of hidden layer l gain 2^(2E - 2E_l): E_1 = 700, E_2 = 50.
    let (h1, h2) = (6, 5);
    for k in 0..h1 {
        assert_eq!(
            b.multipliers[k].to_bits(),
            ldexp(a.multipliers[k], 2 * (total - 700)).to_bits()
        );
    }
    for k in h1..h1 + h2 {
        assert_eq!(b.multipliers[k].to_bits(), ldexp(a.multipliers[k], 2 * (total - 50)).to_bits());
    }
    let (sa, sb) = (seqlip_exhaustive(&net, 12).unwrap(), seqlip_exhaustive(&big, 12).unwrap());
    let product: f64 = sb.factors.iter().product();
    assert!((product / sb.value - 1.0).abs() < 8.0 * f64::EPSILON, "{product} vs {}", sb.value);
    assert_eq!(sa.patterns, sb.patterns);
}

#[test]
fn decimal_scaling_agrees_to_rounding() {
    let net = random_net(&[2, 5, 4, 1], 5);
    let scale = [1e200, 1e-180, 1e-30];
    let scaled = rescaled(&net, &scale);
    let factor = 1e200 * 1e-180 * 1e-30;
    let cfg = IpmConfig::new(1e-9, 100).unwrap();
    let ipm = |n: &ReluNet| lipsdp_neuron_ipm(n, &cfg).unwrap().value;
    let mut all = bounds(&net);
    all.push(("lipsdp-ipm", ipm(&net)));
    let mut all_scaled = bounds(&scaled);
    all_scaled.push(("lipsdp-ipm", ipm(&scaled)));
    for ((name, v), (_, w)) in all.into_iter().zip(all_scaled) {
        if name.starts_with("lipsdp-first-order") {
            // A fixed number of first-order steps: the perturbed problem follows another
            // trajectory, so only the exact power-of-two test above applies.
            continue;
        }
        // Each weight is rounded once by the scaling: a relative change of eps per entry, which
        // the bounds (sums and products of at most a few hundred such terms, or an SVD, or an
        // optimisation to tolerance 1e-9) carry with a modest factor.
        let tol = if name == "lipsdp-ipm" { 1e-7 } else { 1e3 * f64::EPSILON };
        assert!((w / (v * factor) - 1.0).abs() < tol, "{name}: {w:e} vs {:e}", v * factor);
    }
}

#[test]
fn huge_and_tiny_weights_give_bounds_not_zero_or_infinity() {
    // 1e200 per layer: the unbalanced products overflow after two layers, yet the constant
    // of the two-layer network, 1e400 times a number of order one, is not representable
    // either, so the bound must be an error naming the weights; with 1e150 it is 1e300.
    let net = random_net(&[2, 4, 1], 3);
    let l1 = norm_product(&net, Norm::L1).unwrap();
    let ok = rescaled(&net, &[1e150, 1e150]);
    let v = split_abs(&ok, Norm::L1).unwrap();
    assert!(v.is_finite() && v >= 1e299, "{v:e}");
    assert!(v <= l1 * 1e300 * (1.0 + 1e-12));
    let too_big = rescaled(&net, &[1e200, 1e200]);
    match split_abs(&too_big, Norm::L1) {
        Err(LipError::InvalidParameter { name, .. }) => assert_eq!(name, "weights"),
        other => panic!("expected an error naming the weights, got {other:?}"),
    }
    // 1e-20 per layer: the interior-point LipSDP keeps its relative accuracy.
    let tiny = rescaled(&net, &[1e-20, 1e-20]);
    let cfg = IpmConfig::new(1e-9, 100).unwrap();
    let (a, b) = (lipsdp_neuron_ipm(&net, &cfg).unwrap(), lipsdp_neuron_ipm(&tiny, &cfg).unwrap());
    assert!((b.value / (a.value * 1e-40) - 1.0).abs() < 1e-7, "{:e} vs {:e}", b.value, a.value);
}

#[cfg(feature = "lipsdp")]
#[test]
fn conic_lipsdp_scales_exactly() {
    use lipschitz::lipsdp::{LipSdpConfig, lipsdp_neuron};
    let net = random_net(&[2, 5, 4, 1], 8);
    let big = rescaled(&net, &[ldexp(1.0, -200), ldexp(1.0, 300), ldexp(1.0, 100)]);
    let cfg = LipSdpConfig::new(1e-9, 200).unwrap();
    let (a, b) = (lipsdp_neuron(&net, &cfg).unwrap(), lipsdp_neuron(&big, &cfg).unwrap());
    assert_eq!(b.value.to_bits(), ldexp(a.value, 200).to_bits());
    assert_eq!(b.rho.to_bits(), ldexp(a.rho, 400).to_bits());
    // Hidden layer 1 (E_1 = -200) gains 2^(400 + 400), layer 2 (E_2 = 100) 2^(400 - 200).
    for (k, (x, y)) in a.multipliers.iter().zip(&b.multipliers).enumerate() {
        assert!(y.is_finite() && *y > 0.0, "multiplier {k}: {y}");
        let e = if k < 5 { 800 } else { 200 };
        assert_eq!(y.to_bits(), ldexp(*x, e).to_bits(), "multiplier {k}");
    }
}

/// A layer spanning more than the range of `f64` from its largest to its smallest entry:
/// `1e170 relu(1e-170 x_2) = relu(x_2)`, constant 1 in every norm.
#[test]
fn layers_spanning_a_huge_range_keep_every_entry() {
    let net =
        ReluNet::new(vec![faer::mat![[1e170, 0.0], [0.0, 1e-170]], faer::mat![[0.0, 1e170]]], None)
            .unwrap();
    for norm in [Norm::L1, Norm::L2, Norm::LInf] {
        // The product of the layer norms is 1e340: an error, not infinity.
        assert!(matches!(norm_product(&net, norm), Err(LipError::InvalidParameter { .. })));
        for (name, v) in [
            ("abs-product", abs_product(&net, norm).unwrap()),
            ("jacobian-interval", jacobian_interval(&net, norm).unwrap()),
            ("split-abs", split_abs(&net, norm).unwrap()),
        ] {
            // Two roundings per product (1e170 * 1e-170 is 1 to one ulp).
            assert!(v >= 1.0 - 4.0 * f64::EPSILON, "{name} {norm:?}: {v}");
        }
        let exact = exact_lipschitz(&net, &ExactConfig::new(norm)).unwrap().value;
        assert!((exact - 1.0).abs() < 4.0 * f64::EPSILON, "exact {norm:?}: {exact}");
        let lower =
            sampled_lower_bound(&net, &LowerConfig::default_for(norm), Seed::new(1)).unwrap().value;
        assert!(lower <= exact * (1.0 + 4.0 * f64::EPSILON), "lower {norm:?}: {lower}");
    }
    // SeqLip works from the singular values of each layer, and an SVD resolves 1e-170 next to
    // 1e170 only as 0: the bound may fail, with an error, but never return less than 1.
    match seqlip_exhaustive(&net, 12) {
        Ok(r) => assert!(r.value >= 1.0 - 4.0 * f64::EPSILON, "seqlip: {}", r.value),
        Err(e) => assert!(matches!(e, LipError::InvalidParameter { name: "weights", .. }), "{e}"),
    }
}

/// `p - w` with `p = relu(s + 1)`, `w = relu(1e300 u - 1e300 v + s + 1)` and
/// `u = v = s = relu(x)` is identically zero, but its unbalanced forward pass overflows to
/// `inf - inf`: the lower bound must not count such points.
#[test]
fn overflowing_forward_pass_does_not_inflate_the_lower_bound() {
    let net = ReluNet::new(
        vec![
            faer::mat![[1.0], [1.0], [1.0]],
            faer::mat![[0.0, 0.0, 1.0], [1e300, -1e300, 1.0]],
            faer::mat![[1.0, -1.0]],
        ],
        Some(vec![faer::col![0.0, 0.0, 0.0], faer::col![1.0, 1.0], faer::col![0.0]]),
    )
    .unwrap();
    let domain = lipschitz::Domain::new_box(vec![1e10], vec![1e11]).unwrap();
    let config = LowerConfig::new(Norm::L2, domain, 1000, 1e9, 10, 100).unwrap();
    let lower = sampled_lower_bound(&net, &config, Seed::new(3)).unwrap().value;
    assert_eq!(lower.to_bits(), 0f64.to_bits(), "{lower}");
}

/// A box built without `Domain::new_box` is still checked.
#[test]
fn hand_built_boxes_are_checked() {
    let net = random_net(&[1, 3, 1], 2);
    for (lo, hi) in [(1.0, 0.0), (f64::NAN, 1.0), (0.0, f64::INFINITY)] {
        let domain = lipschitz::Domain::Box { lo: vec![lo], hi: vec![hi] };
        let exact = exact_lipschitz(&net, &ExactConfig::new(Norm::L2).domain(domain.clone()));
        assert!(matches!(exact, Err(LipError::InvalidParameter { .. })), "{exact:?}");
        let config = LowerConfig::new(Norm::L2, domain, 10, 1.0, 1, 1).unwrap();
        let lower = sampled_lower_bound(&net, &config, Seed::new(0));
        assert!(matches!(lower, Err(LipError::InvalidParameter { .. })), "{lower:?}");
    }
}

/// The one-input exact constant is balanced too: layers of `1e-200` and `1e200`.
#[test]
fn one_dimensional_exact_value_is_scale_invariant() {
    let net = random_net(&[1, 6, 1], 4);
    let (v, pieces) = lipschitz::exact_lipschitz_1d(&net, Norm::L2, None).unwrap();
    for (s1, s2, factor) in [(1e-200, 1e100, 1e-100), (1e200, 1e-150, 1e50)] {
        let scaled = rescaled(&net, &[s1, s2]);
        let (w, p) = lipschitz::exact_lipschitz_1d(&scaled, Norm::L2, None).unwrap();
        assert_eq!(p, pieces);
        assert!((w / (v * factor) - 1.0).abs() < 16.0 * f64::EPSILON, "{w:e} vs {:e}", v * factor);
    }
}

/// `relu(1e-200 relu(1e200 x_1)) + relu(1e200 relu(1e-200 x_2)) = relu(x_1) + relu(x_2)`: l2
/// constant `sqrt 2`, found by the region search and approached by the lower bound.
#[test]
fn opposite_huge_scales_in_consecutive_layers() {
    let net = ReluNet::new(
        vec![
            faer::mat![[1e200, 0.0], [0.0, 1e-200]],
            faer::mat![[1e-200, 0.0], [0.0, 1e200]],
            faer::mat![[1.0, 1.0]],
        ],
        None,
    )
    .unwrap();
    let exact = exact_lipschitz(&net, &ExactConfig::new(Norm::L2)).unwrap().value;
    // 1e200 * 1e-200 is 1 to one rounding per path.
    assert!((exact - 2f64.sqrt()).abs() < 8.0 * f64::EPSILON, "{exact}");
    let lower =
        sampled_lower_bound(&net, &LowerConfig::default_for(Norm::L2), Seed::new(5)).unwrap().value;
    assert!(lower <= exact * (1.0 + 8.0 * f64::EPSILON) && lower > 0.5 * exact, "{lower}");
    for (name, v) in [
        ("abs-product", abs_product(&net, Norm::L2).unwrap()),
        ("jacobian-interval", jacobian_interval(&net, Norm::L2).unwrap()),
        ("split-abs", split_abs(&net, Norm::L2).unwrap()),
    ] {
        assert!(v >= exact * (1.0 - 8.0 * f64::EPSILON), "{name}: {v} < {exact}");
    }
    // Combettes–Pesquet contains the term |W_3| |W_2| |W_1| / 4, about 3.5e399: an error.
    let cp = combettes_pesquet(&net);
    assert!(matches!(cp, Err(LipError::InvalidParameter { name: "weights", .. })), "{cp:?}");
}

/// Hidden units rescaled one by one must not push the next layer's entries out of range:
/// `1e300 (relu(1e-300 relu(1e300 relu(1e-300 x))) + ...)` is `relu(x) + relu(-x) = |x|`.
#[test]
fn unit_rescaling_keeps_every_entry_normal() {
    let net = ReluNet::new(
        vec![
            faer::mat![[1e-300], [-1e-300]],
            faer::mat![[1e300, 0.0], [0.0, 1e300]],
            faer::mat![[1e-300, 0.0], [0.0, 1e-300]],
            faer::mat![[1e300, 1e300]],
        ],
        None,
    )
    .unwrap();
    // f(x) = |x| up to the rounding of the four products on each path.
    assert!((net.forward(&[2.0])[0] - 2.0).abs() < 16.0 * f64::EPSILON);
    let exact = exact_lipschitz(&net, &ExactConfig::new(Norm::L2)).unwrap().value;
    assert!((exact - 1.0).abs() < 16.0 * f64::EPSILON, "{exact}");
    let (one_d, _) = lipschitz::exact_lipschitz_1d(&net, Norm::L2, None).unwrap();
    assert!((one_d - 1.0).abs() < 16.0 * f64::EPSILON, "{one_d}");
    // Every point has a pre-activation exactly 0 (the second layer's unit fed only by the
    // inactive first-layer unit), a tie where the sampled lower bound takes no value: it
    // rejects every point and stays at the trivial 0.
    let lower =
        sampled_lower_bound(&net, &LowerConfig::default_for(Norm::L2), Seed::new(9)).unwrap();
    assert_eq!((lower.value.to_bits(), lower.n_evaluated), (0f64.to_bits(), 0), "{lower:?}");
    // Three layers of 1e-300: a constant near 1e-900 is not representable, an error.
    let tiny = rescaled(&random_net(&[2, 3, 3, 1], 6), &[1e-300, 1e-300, 1e-300]);
    let r = exact_lipschitz(&tiny, &ExactConfig::new(Norm::L2));
    assert!(matches!(r, Err(LipError::InvalidParameter { name: "weights", .. })), "{r:?}");
}

/// The global upper bounds do not depend on the biases, so biases far beyond the weights'
/// scale do not stop them: `relu(1e-300 x + 1e300) + relu(-1e-300 x - 1e300)` has constant
/// `1e-300` in every norm.
#[test]
fn upper_bounds_ignore_huge_biases() {
    let net = ReluNet::new(
        vec![faer::mat![[1e-300], [-1e-300]], faer::mat![[1.0, 1.0]]],
        Some(vec![faer::col![1e300, -1e300], faer::col![0.0]]),
    )
    .unwrap();
    for norm in [Norm::L1, Norm::L2, Norm::LInf] {
        let all = lipschitz::all_upper_bounds(&net, norm, 12).unwrap();
        assert!(all.len() >= 5, "{all:?}");
        for b in all.iter().filter(|b| b.certified) {
            assert!(b.value >= 1e-300 * (1.0 - 4.0 * f64::EPSILON), "{b:?}");
        }
    }
    let ipm = lipsdp_neuron_ipm(&net, &IpmConfig::new(1e-9, 100).unwrap()).unwrap().value;
    assert!(ipm >= 1e-300 * (1.0 - 1e-7), "{ipm:e}");
}

/// A box 1e-12 wide: the interior threshold scales with the box, so the region search finds
/// the linear piece there (`[[1, 2], [-1, 1]]` then `[[1, 1]]` on `[5, 5 + 1e-12]^2`: both
/// units active, Jacobian `[0, 3]`, constant 3 in l2).
#[test]
fn tiny_boxes_are_searched() {
    let net = ReluNet::new(vec![faer::mat![[1.0, 2.0], [-1.0, 1.0]], faer::mat![[1.0, 1.0]]], None)
        .unwrap();
    let domain =
        lipschitz::Domain::new_box(vec![5.0, 5.0], vec![5.0 + 1e-12, 5.0 + 1e-12]).unwrap();
    let r = exact_lipschitz(&net, &ExactConfig::new(Norm::L2).domain(domain)).unwrap();
    assert!((r.value - 3.0).abs() < 4.0 * f64::EPSILON, "{}", r.value);
}

/// LipSDP on a layer spanning 1e340 (`relu(1e170 x_1) + relu(1e-170 x_2)`, constant 1e170):
/// either a bound at least the constant or an error naming the weights, never a non-finite
/// state without context.
#[test]
fn lipsdp_on_a_layer_spanning_a_huge_range() {
    let net =
        ReluNet::new(vec![faer::mat![[1e170, 0.0], [0.0, 1e-170]], faer::mat![[1.0, 1.0]]], None)
            .unwrap();
    match lipsdp_neuron_ipm(&net, &IpmConfig::new(1e-8, 100).unwrap()) {
        Ok(r) => assert!(r.value >= 1e170 * (1.0 - 1e-7), "{:e}", r.value),
        Err(e) => assert!(matches!(e, LipError::InvalidParameter { name: "weights", .. }), "{e}"),
    }
}

/// One input, units of scale 1e300 and 1e-300: `relu(1e300 x) + relu(-1e-300 x)` has l2
/// constant 1e300 (the vector norm must not square 1e300).
#[test]
fn one_dimensional_exact_value_with_huge_slopes() {
    let net =
        ReluNet::new(vec![faer::mat![[1e300], [-1e-300]], faer::mat![[1.0, 1.0]]], None).unwrap();
    for norm in [Norm::L1, Norm::L2, Norm::LInf] {
        let (v, pieces) = lipschitz::exact_lipschitz_1d(&net, norm, None).unwrap();
        assert_eq!(pieces, 2);
        assert!((v / 1e300 - 1.0).abs() < 4.0 * f64::EPSILON, "{norm:?}: {v:e}");
    }
}

/// Non-finite matrices are rejected by the norms (a NaN entry used to give an l-inf norm of 0
/// and a power-iteration upper bound of 0), and the vector norms propagate NaN.
#[test]
fn non_finite_entries_are_errors_or_nan() {
    use lipschitz::{operator_norm, power_iteration, spectral_norm};
    for w in [faer::mat![[f64::NAN, 1.0]], faer::mat![[1.0, f64::INFINITY]]] {
        for norm in [Norm::L1, Norm::L2, Norm::LInf] {
            let r = operator_norm(w.as_ref(), norm);
            assert!(matches!(r, Err(LipError::InvalidParameter { name: "w", .. })), "{r:?}");
        }
        assert!(matches!(spectral_norm(w.as_ref()), Err(LipError::InvalidParameter { .. })));
        let p = power_iteration(w.as_ref(), 10, 2);
        assert!(matches!(p, Err(LipError::InvalidParameter { name: "w", .. })), "{p:?}");
    }
    for norm in [Norm::L1, Norm::L2, Norm::LInf] {
        assert!(norm.vector(&[1.0, f64::NAN, 2.0]).is_nan(), "{norm:?}");
        assert_eq!(norm.vector(&[]).to_bits(), 0f64.to_bits(), "{norm:?}");
    }
}
