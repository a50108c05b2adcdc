//! Runs burn's own SGD (burn 0.22.1, `burn-optim`'s `Sgd` behind `ModuleOptimizer`, on the
//! burn-ndarray backend with binary64 tensors) on momentum-oracle's replay fixtures, and writes
//! one trace per fixture for `momentum-oracle check`.
//!
//! Why it exists: docs/research/frameworks.md §5 predicted burn's rounding from its source alone
//! (momentum and weight decay held as f32, every tensor op rounded separately). This driver turns
//! that prediction into evidence: the arithmetic below is burn's, the driver only feeds it the
//! fixture's parameters, gradients and per-step learning rates and reads the parameters back.
//!
//! Usage: `burn_sgd <fixture-dir> <trace-dir> [--maximize-by-negation]`
//!
//! Only `"convention": "pytorch"` fixtures are run (burn's SGD has PyTorch's update order:
//! weight decay, momentum buffer without dampening on the first step, optional Nesterov, then
//! `θ − lr·g`). burn has no `maximize`; those fixtures are skipped unless
//! `--maximize-by-negation` is given, which feeds `−g` instead (negation is exact in IEEE 754,
//! and PyTorch's `maximize` is exactly `g = −g` first), so the trace is still burn's arithmetic.
//!
//! burn sources this relies on (in ~/.cargo/registry/src/*/):
//! * burn-optim-0.22.1/src/optim/sgd.rs — `SgdConfig` (`with_momentum`, `with_weight_decay`,
//!   `init`) and `Sgd::step`: weight decay, then momentum, then `tensor - grad.mul_scalar(lr)`.
//! * burn-optim-0.22.1/src/optim/momentum.rs — `MomentumConfig { momentum: f64, dampening: f64,
//!   nesterov }`, defaults 0.9 / 0.1 / false, so all three are set here; `Momentum::new` stores
//!   `momentum: f32` (`config.momentum.elem()`), `dampening: f64`.
//! * burn-optim-0.22.1/src/optim/decay.rs — `WeightDecayConfig { penalty: f32 }`: the public type
//!   is f32, so λ can only be passed as `λ as f32`; `transform = θ.mul_scalar(penalty).add(grad)`.
//! * burn-optim-0.22.1/src/optim/grads.rs — `GradientsParams::new` / `register(ParamId, Tensor)`.
//! * burn-optim-0.22.1/src/optim/module/module_optimizer.rs — `ModuleOptimizer::step(lr, module,
//!   grads)`; the mapper calls `Sgd::step` with `tensor.inner()` (autodiff stripped) and the
//!   registered gradient, and keeps the per-parameter state between steps.
//! * burn-core-0.22.1/src/module/param/tensor.rs — `Param::from_tensor`.
//! * burn-tensor-0.22.1/src/device.rs — `Device::ndarray()`, `.autodiff()`, `.configure(F64)`;
//!   burn-tensor-0.22.1/src/tensor/api/options.rs — `TensorCreationOptions::with_dtype`.
//! * burn-std-0.22.1/src/element/scalar.rs — `Scalar::new`: a scalar becomes `Scalar::Float(f64)`
//!   for a float tensor (so an f32 μ or λ widens exactly to f64).
//! * burn-ndarray-0.22.1/src/ops/tensor.rs — `float_mul_scalar`, `float_add`, `float_sub`: one
//!   elementwise ndarray op each, rounded once.

use std::path::Path;

use burn::module::{Module, Param};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::{DType, Device, FloatDType, Tensor, TensorCreationOptions, TensorData};
use serde_json::Value;

/// The model: one rank-1 parameter holding the fixture's parameter vector.
#[derive(Module, Debug)]
struct Params {
    theta: Param<Tensor<1>>,
}

fn bits(v: &Value) -> f64 {
    let hex = v["bits"].as_str().expect("a {\"bits\": ...} value");
    f64::from_bits(u64::from_str_radix(hex, 16).expect("16 hex digits"))
}

fn vector(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(bits).collect()
}

/// A binary64 tensor on `device`, with the dtype forced rather than taken from device defaults.
fn tensor(values: &[f64], device: &Device) -> Tensor<1> {
    let data = TensorData::new(values.to_vec(), [values.len()]);
    let t = Tensor::<1>::from_data(
        data,
        TensorCreationOptions::new(device.clone()).with_dtype(DType::F64),
    );
    assert_eq!(t.dtype(), DType::F64);
    t
}

/// Runs burn on one fixture; returns the parameters after every step.
fn run(fixture: &Value, negate: bool, device: &Device) -> Vec<Vec<f64>> {
    let hp = &fixture["optimizer"]["hyperparameters"];
    let num = |key: &str| hp.get(key).map(bits).unwrap_or(0.0);
    let (momentum, dampening, weight_decay) =
        (num("momentum"), num("dampening"), num("weight_decay"));
    let nesterov = hp.get("nesterov").and_then(Value::as_bool).unwrap_or(false);

    // PyTorch keeps no buffer and adds no decay when the coefficient is 0; burn's equivalent is
    // `None` (a `Some` momentum of 0 would still compute g·1 + v·0, which is NaN for v = ±inf).
    let mut config = SgdConfig::new();
    if momentum != 0.0 {
        config = config.with_momentum(Some(MomentumConfig {
            momentum,
            dampening,
            nesterov,
        }));
    }
    if weight_decay != 0.0 {
        // burn's public type for the penalty is f32 (decay.rs); there is no f64 entry point.
        config = config.with_weight_decay(Some(WeightDecayConfig {
            penalty: weight_decay as f32,
        }));
    }
    let mut optim = config.init();

    let mut model = Params {
        theta: Param::from_tensor(tensor(&vector(&fixture["initial_params"]), device)),
    };
    let lrs = vector(&fixture["schedule"]["learning_rates"]);
    let grads = fixture["gradients"].as_array().expect("gradients");
    assert_eq!(lrs.len(), grads.len());

    let mut steps = Vec::new();
    for (g, lr) in grads.iter().zip(lrs) {
        let g: Vec<f64> = vector(g)
            .into_iter()
            .map(|x| if negate { -x } else { x })
            .collect();
        let mut gp = GradientsParams::new();
        // Gradients as `grad_remove` would return them: on the inner (non-autodiff) device.
        gp.register(model.theta.id, tensor(&g, &device.clone().inner()));
        model = optim.step(lr, model, gp);

        let data = model.theta.val().into_data();
        assert_eq!(data.dtype(), DType::F64, "burn changed the parameter dtype");
        steps.push(data.try_to_vec::<f64>().expect("f64 data"));
    }
    steps
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let negate = args.iter().any(|a| a == "--maximize-by-negation");
    let dirs: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with("--")).collect();
    let [fixtures, out] = dirs[..] else {
        eprintln!("usage: burn_sgd <fixture-dir> <trace-dir> [--maximize-by-negation]");
        std::process::exit(2);
    };

    #[allow(deprecated)]
    // burn 0.22 deprecates burn-ndarray in favour of Flex; ndarray is the subject here
    let mut device = Device::ndarray();
    device
        .configure(FloatDType::F64)
        .expect("configure ndarray for f64");
    let device = device.autodiff();

    let entries = std::fs::read_dir(fixtures).unwrap_or_else(|e| {
        eprintln!("cannot read the fixture directory {fixtures}: {e}");
        std::process::exit(2);
    });
    let mut names: Vec<_> = entries
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    std::fs::create_dir_all(out).expect("trace dir");

    let mut written = 0usize;
    for path in names {
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if fixture["optimizer"]["convention"] != "pytorch" {
            continue;
        }
        let maximize = fixture["optimizer"]["hyperparameters"]["maximize"] == true;
        if maximize != negate {
            let why = if maximize {
                "maximize=true (burn has no maximize)"
            } else {
                "not a maximize fixture"
            };
            println!("skip {name}: {why}");
            continue;
        }
        let steps = run(&fixture, maximize, &device);
        let trace = serde_json::json!({
            "steps": steps.iter().map(|p| serde_json::json!({
                "params": p.iter().map(|x| format!("0x{:016x}", x.to_bits())).collect::<Vec<_>>()
            })).collect::<Vec<_>>()
        });
        std::fs::write(
            Path::new(out).join(&name),
            serde_json::to_string(&trace).unwrap() + "\n",
        )
        .expect("write");
        println!("wrote {name}: {} steps", steps.len());
        written += 1;
    }
    // A run that wrote nothing (wrong directory, every fixture skipped) is not a result.
    if written == 0 {
        eprintln!("no trace written: no fixture under {fixtures} was run");
        std::process::exit(1);
    }
    println!("{written} traces written to {out}");
}
