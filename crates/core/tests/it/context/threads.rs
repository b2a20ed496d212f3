//! Contexts on several threads sharing one coordinator.

use std::thread;

use strata_core::{Context, FetchRequest};

use super::support::{Env, clip};

#[test]
fn two_threads_each_with_their_own_context() {
    let env = Env::new();
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let coordinator = env.coordinator.clone();
            thread::spawn(move || {
                let mut ctx = Context::new(coordinator);
                ctx.set_name(Some(&format!("worker {t}")));
                for batch in 0..5 {
                    for i in 0..10 {
                        clip(&mut ctx, &format!("t{t}-{batch}-{i}"), i as f64);
                    }
                    ctx.save().unwrap();
                }
                ctx.count(
                    &FetchRequest::new("Clip")
                        .filter("title BEGINSWITH %@", &[format!("t{t}-").into()])
                        .unwrap(),
                )
                .unwrap()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), 50);
    }
    assert_eq!(env.context().count(&FetchRequest::new("Clip")).unwrap(), 100);
}

#[test]
fn a_context_moves_to_another_thread() {
    let env = Env::new();
    let mut ctx = env.context();
    let c = clip(&mut ctx, "made here", 1.0);
    let mut ctx = thread::spawn(move || {
        ctx.set(c, "title", "saved there").unwrap();
        ctx.save().unwrap();
        ctx
    })
    .join()
    .unwrap();
    assert_eq!(ctx.get::<String>(c, "title").unwrap(), "saved there");
}
