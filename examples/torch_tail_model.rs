//! The crate's predictions for `examples/python/torch_tail.py`: reads cases as JSON lines on
//! stdin, writes one line per case on stdout: the PyTorch model's trace as bits, once with every element on the vector
//! path ([`run`]) and once with the tail on the scalar path ([`run_tensor`], for the capability
//! torch reported: `AVX2` or `AVX512`).
//!
//! ```text
//! {"kernel": "fused", "storage": "bfloat16", "lr": 0.1, "momentum": 0.9, "dampening": 0.0,
//!  "weight_decay": 0.0, "nesterov": false, "capability": "AVX2", "initial": [bits],
//!  "gradients": [[bits], …]}
//! → {"vector": [{"params": [bits], "state": [bits] | null}, …], "tensor": […]}
//! ```

use momentum_oracle::arith::format::Format;
use momentum_oracle::optim::kernel::{
    Capability, Family, Hyper, Kernel, Model, StepValues, Stored, run, run_tensor,
};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Case {
    kernel: String,
    storage: String,
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    capability: String,
    initial: Vec<u64>,
    gradients: Vec<Vec<u64>>,
}

#[derive(Serialize)]
struct Step {
    params: Vec<u64>,
    state: Option<Vec<u64>>,
}

#[derive(Serialize)]
struct Out {
    vector: Vec<Step>,
    tensor: Vec<Step>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for line in std::io::stdin().lines() {
        let case: Case = serde_json::from_str(&line?)?;
        println!("{}", serde_json::to_string(&predict(&case)?)?);
    }
    Ok(())
}

fn predict(case: &Case) -> Result<Out, Box<dyn std::error::Error>> {
    let storage = Format::parse(&case.storage)?;
    let model = Model::new(Family::Pytorch, Kernel::parse(&case.kernel)?, storage);
    let hyper = Hyper {
        learning_rates: vec![case.lr; case.gradients.len()],
        momentum: case.momentum,
        dampening: case.dampening,
        weight_decay: case.weight_decay,
        nesterov: case.nesterov,
        maximize: false,
    };
    let a = model.exact();
    let bits = |steps: Vec<StepValues<_>>| -> Result<Vec<Step>, Box<dyn std::error::Error>> {
        let store = storage;
        steps
            .iter()
            .map(|s| {
                Ok(Step {
                    params: s
                        .params
                        .iter()
                        .map(|x| a.bits(x, store))
                        .collect::<Result<_, _>>()?,
                    state: match &s.state {
                        Some(v) => Some(
                            v.iter()
                                .map(|x| a.bits(x, store))
                                .collect::<Result<_, _>>()?,
                        ),
                        None => None,
                    },
                })
            })
            .collect()
    };
    let vector = bits(run(&a, &model, &hyper, &case.initial, &case.gradients)?)?;
    let tensor = bits(run_tensor(
        &a,
        &model,
        &hyper,
        &case.initial,
        &case.gradients,
        Capability::parse(&case.capability).ok_or_else(|| {
            format!(
                "no tail model for capability {:?} (AVX2 and AVX512 were measured)",
                case.capability
            )
        })?,
    )?)?;
    Ok(Out { vector, tensor })
}
