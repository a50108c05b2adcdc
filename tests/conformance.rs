//! The conformance kit against implementations written here independently of the crate: correct
//! ones pass every suite, each realistic bug is caught with a report that names it.

use momentum_oracle::conformance::{self, Config, Convention, UnderTest};

/// Which bug to plant.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bug {
    None,
    /// PyTorch: b₁ = (1 − τ)g₁ instead of g₁.
    DampenFirstStep,
    /// Nesterov forms that forget the look-ahead term (plain momentum instead).
    NesterovIgnored,
    /// The learning rate applied to the buffer before adding (b = μb + γg; θ −= b).
    LrInBuffer,
    /// Weight decay applied after the momentum buffer instead of before.
    WeightDecayAfterMomentum,
    /// Hyper-parameters stored as f32.
    F32Hyperparameters,
}

/// An independent f64 SGD that can follow PyTorch, Keras or Optax, with an optional bug.
struct Sgd {
    convention: Convention,
    bug: Bug,
    config: Option<Config>,
    state: Option<Vec<f64>>,
}

fn sgd(convention: Convention, bug: Bug) -> Sgd {
    Sgd {
        convention,
        bug,
        config: None,
        state: None,
    }
}

impl UnderTest for Sgd {
    fn convention(&self) -> Convention {
        self.convention
    }
    fn start(&mut self, config: &Config, _params: &[f64]) -> bool {
        let mut c = config.clone();
        if self.bug == Bug::F32Hyperparameters {
            c.momentum = c.momentum as f32 as f64;
        }
        self.config = Some(c);
        self.state = None;
        true
    }
    fn step(&mut self, params: &mut [f64], gradient: &[f64], lr: f64) {
        let c = self.config.clone().unwrap();
        let lr = if self.bug == Bug::F32Hyperparameters {
            lr as f32 as f64
        } else {
            lr
        };
        let nesterov = c.nesterov && self.bug != Bug::NesterovIgnored;
        match self.convention {
            Convention::Pytorch => {
                let mut g: Vec<f64> = gradient
                    .iter()
                    .map(|x| if c.maximize { -x } else { *x })
                    .collect();
                if c.weight_decay != 0.0 && self.bug != Bug::WeightDecayAfterMomentum {
                    for (gi, p) in g.iter_mut().zip(params.iter()) {
                        *gi = p.mul_add(c.weight_decay, *gi);
                    }
                }
                if c.momentum != 0.0 {
                    let b = match self.state.take() {
                        None if self.bug == Bug::DampenFirstStep => {
                            g.iter().map(|x| x * (1.0 - c.dampening)).collect()
                        }
                        None if self.bug == Bug::LrInBuffer => g.iter().map(|x| x * lr).collect(),
                        None => g.clone(),
                        Some(mut b) => {
                            for (bi, gi) in b.iter_mut().zip(&g) {
                                let gi = if self.bug == Bug::LrInBuffer {
                                    gi * lr
                                } else {
                                    *gi
                                };
                                *bi = gi.mul_add(1.0 - c.dampening, *bi * c.momentum);
                            }
                            b
                        }
                    };
                    if nesterov {
                        for (gi, bi) in g.iter_mut().zip(&b) {
                            *gi = bi.mul_add(c.momentum, *gi);
                        }
                    } else {
                        g = b.clone();
                    }
                    self.state = Some(b);
                }
                if c.weight_decay != 0.0 && self.bug == Bug::WeightDecayAfterMomentum {
                    for (gi, p) in g.iter_mut().zip(params.iter()) {
                        *gi = p.mul_add(c.weight_decay, *gi);
                    }
                }
                let step = if self.bug == Bug::LrInBuffer && c.momentum != 0.0 {
                    1.0
                } else {
                    lr
                };
                for (p, gi) in params.iter_mut().zip(&g) {
                    *p = gi.mul_add(-step, *p);
                }
            }
            Convention::Keras => {
                // Keras 3 eager: decoupled decay θ − θ·λ·γ, then v = v·μ − g·γ, θ += v (or
                // θ += v·μ − g·γ with the new v).
                if c.weight_decay != 0.0 {
                    for p in params.iter_mut() {
                        *p -= *p * c.weight_decay * lr;
                    }
                }
                if c.momentum == 0.0 {
                    for (p, g) in params.iter_mut().zip(gradient) {
                        *p -= g * lr;
                    }
                    return;
                }
                let mut v = self.state.take().unwrap_or_else(|| vec![0.0; params.len()]);
                for (vi, g) in v.iter_mut().zip(gradient) {
                    *vi = *vi * c.momentum - g * lr;
                }
                for ((p, vi), g) in params.iter_mut().zip(&v).zip(gradient) {
                    *p += if nesterov {
                        vi * c.momentum - g * lr
                    } else {
                        *vi
                    };
                }
                self.state = Some(v);
            }
            Convention::Optax => {
                // Eager Optax: t = g + μt (t₀ = 0); updates = −γ·(t or g + μt); θ + updates.
                let mut t = self.state.take().unwrap_or_else(|| vec![0.0; params.len()]);
                for (ti, g) in t.iter_mut().zip(gradient) {
                    *ti = g + c.momentum * *ti;
                }
                for ((p, ti), g) in params.iter_mut().zip(&t).zip(gradient) {
                    let u = if nesterov { g + c.momentum * ti } else { *ti };
                    *p += -lr * u;
                }
                self.state = Some(t);
            }
        }
    }
    fn state(&self, name: &str) -> Option<Vec<f64>> {
        let expected = match self.convention {
            Convention::Pytorch => "momentum_buffer",
            Convention::Keras => "velocity",
            Convention::Optax => "trace",
        };
        (name == expected).then(|| self.state.clone()).flatten()
    }
}

const ALL: [Convention; 3] = [Convention::Pytorch, Convention::Keras, Convention::Optax];

#[test]
fn correct_implementations_of_every_convention_pass_every_suite() {
    for conv in ALL {
        let outcomes = conformance::replay_fixtures(&mut sgd(conv, Bug::None)).unwrap();
        assert!(!outcomes.is_empty());
        for o in &outcomes {
            let r = o.report.as_ref().expect("no case declined");
            assert!(r.passed(), "{}", r.render());
        }
        conformance::replay_properties(|| sgd(conv, Bug::None), 64).unwrap();
        conformance::stability_properties(|| sgd(conv, Bug::None), 64).unwrap();
    }
}

/// The names of the fixtures a buggy implementation fails.
fn failing(conv: Convention, bug: Bug) -> Vec<String> {
    conformance::replay_fixtures(&mut sgd(conv, bug))
        .unwrap()
        .into_iter()
        .filter(|o| o.report.as_ref().is_some_and(|r| !r.passed()))
        .map(|o| o.case)
        .collect()
}

#[test]
fn realistic_bugs_are_caught_by_the_fixtures_and_by_the_properties() {
    let cases = [
        (
            Convention::Pytorch,
            Bug::DampenFirstStep,
            "pytorch-dampening",
        ),
        (
            Convention::Pytorch,
            Bug::NesterovIgnored,
            "pytorch-nesterov",
        ),
        (Convention::Pytorch, Bug::LrInBuffer, "pytorch-momentum"),
        (
            Convention::Pytorch,
            Bug::WeightDecayAfterMomentum,
            "pytorch-weight-decay",
        ),
        (
            Convention::Pytorch,
            Bug::F32Hyperparameters,
            "pytorch-momentum",
        ),
        (Convention::Keras, Bug::NesterovIgnored, "keras-nesterov"),
        (Convention::Optax, Bug::NesterovIgnored, "optax-nesterov"),
    ];
    for (conv, bug, fixture) in cases {
        let f = failing(conv, bug);
        assert!(
            f.iter().any(|n| n == fixture),
            "{fixture} did not catch the bug: failing {f:?}"
        );
        let err = conformance::replay_properties(|| sgd(conv, bug), 64)
            .expect_err("the property suite catches it too");
        assert!(
            err.to_string().contains("leaves the error envelope"),
            "{err}"
        );
    }
}

#[test]
fn the_stability_suite_catches_an_iteration_with_the_wrong_dynamics() {
    // Nesterov forms with the look-ahead dropped are heavy ball: stable where NAG is not
    // (2(1+μ)/(1+2μ) < γλ < 2(1+μ)), so the suite's unstable NAG cases do not blow up.
    let err =
        conformance::stability_properties(|| sgd(Convention::Pytorch, Bug::NesterovIgnored), 256)
            .expect_err("caught");
    assert!(err.to_string().contains("exact spectral radius"), "{err}");
}
