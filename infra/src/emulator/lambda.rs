//! Lambda, locally: the real function binaries, started on their first invocation and kept
//! warm, served events through the Lambda Runtime API as the Lambda service serves them.
//!
//! Each function has a pool of up to `max_instances` processes. An instance polls
//! `GET …/runtime/invocation/next`; an invocation goes to an idle instance or waits in the
//! function's queue, and a new instance starts when none is idle. An instance that exits or
//! overruns the function's timeout fails the invocation it holds (never another's), and a
//! retired instance (its binary was rebuilt) finishes what it holds and is then stopped.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::reload::Sources;
use super::routes::FunctionSpec;

/// How an invocation ended, when it did not return a result.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("no function named {0:?}")]
    UnknownFunction(String),
    #[error("the function's build failed (see the log above)")]
    BuildFailed,
    #[error("the function returned an error: {0}")]
    FunctionError(String),
    #[error("the function's process exited before it answered")]
    Crashed,
    #[error("the function did not answer within its {0:?} timeout")]
    TimedOut(Duration),
}

/// The functions and the Runtime API their processes poll.
pub struct Lambda {
    functions: HashMap<String, Arc<Function>>,
    runtime_api: String,
    sources: Arc<Sources>,
}

struct Function {
    spec: FunctionSpec,
    binary: PathBuf,
    max_instances: usize,
    pool: Mutex<Pool>,
    /// The source generation the binary was last built from.
    built: tokio::sync::Mutex<u64>,
}

#[derive(Default)]
struct Pool {
    next_instance: u64,
    instances: HashMap<u64, Instance>,
    queue: VecDeque<Queued>,
    in_flight: HashMap<String, InFlight>,
}

struct Instance {
    pid: u32,
    state: InstanceState,
    /// Its binary has been rebuilt: it is stopped the next time it asks for work.
    retired: bool,
}

enum InstanceState {
    Starting,
    Idle(oneshot::Sender<Event>),
    Busy,
}

/// What an instance is handed: the event and its headers.
struct Event {
    request_id: String,
    payload: Bytes,
    deadline_ms: u128,
}

struct Queued {
    event: Event,
    reply: oneshot::Sender<Result<Bytes, InvokeError>>,
}

struct InFlight {
    instance: u64,
    reply: oneshot::Sender<Result<Bytes, InvokeError>>,
}

impl Function {
    fn pool(&self) -> MutexGuard<'_, Pool> {
        // A panic while holding the lock leaves the pool as consistent as any step left it.
        self.pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Lambda {
    /// Binds the Runtime API on a free loopback port and serves it in the background.
    /// Functions run `binaries/<name>` in the emulator's own environment, as the template's
    /// variables are the local stack's (`make dev` sets them).
    pub async fn start(
        specs: &[FunctionSpec],
        binaries: PathBuf,
        max_instances: usize,
        sources: Arc<Sources>,
    ) -> anyhow::Result<Arc<Self>> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("binding the Lambda Runtime API")?;
        let address = listener.local_addr()?;
        let functions = specs
            .iter()
            .map(|spec| {
                let function = Function {
                    spec: spec.clone(),
                    binary: binaries.join(&spec.name),
                    max_instances: max_instances.max(1),
                    pool: Mutex::new(Pool::default()),
                    built: tokio::sync::Mutex::new(sources.generation()),
                };
                (spec.name.clone(), Arc::new(function))
            })
            .collect();
        let lambda = Arc::new(Self {
            functions,
            runtime_api: format!("http://{address}"),
            sources,
        });
        tokio::spawn(serve_runtime_api(listener, lambda.clone()));
        Ok(lambda)
    }

    /// Invokes `name` with `payload` and waits for its result, at most the function's timeout.
    pub async fn invoke(&self, name: &str, payload: Bytes) -> Result<Bytes, InvokeError> {
        let function = self
            .functions
            .get(name)
            .ok_or_else(|| InvokeError::UnknownFunction(name.to_string()))?;
        self.ensure_built(function).await?;
        let timeout = function.spec.timeout;
        let request_id = uuid::Uuid::new_v4().to_string();
        let deadline_ms = (SystemTime::now() + timeout)
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let (reply, outcome) = oneshot::channel();
        let event = Event {
            request_id: request_id.clone(),
            payload,
            deadline_ms,
        };
        self.dispatch(function, Queued { event, reply });
        match tokio::time::timeout(timeout, outcome).await {
            Ok(Ok(result)) => result,
            // The reply was dropped: the pool went away with the emulator.
            Ok(Err(_)) => Err(InvokeError::Crashed),
            Err(_) => {
                let mut pool = function.pool();
                pool.queue
                    .retain(|queued| queued.event.request_id != request_id);
                if let Some(in_flight) = pool.in_flight.remove(&request_id)
                    && let Some(instance) = pool.instances.get(&in_flight.instance)
                {
                    // Lambda stops an instance that overruns; its next event gets a fresh one.
                    kill(instance.pid);
                }
                Err(InvokeError::TimedOut(timeout))
            }
        }
    }

    /// Stops every function process (the emulator is shutting down).
    pub fn stop_all(&self) {
        for function in self.functions.values() {
            for instance in function.pool().instances.values() {
                kill(instance.pid);
            }
        }
    }

    /// Rebuilds the function's binary if its sources changed since it was built, and retires
    /// the instances running the old one.
    async fn ensure_built(&self, function: &Function) -> Result<(), InvokeError> {
        let mut built = function.built.lock().await;
        let current = self.sources.generation();
        if *built == current {
            return Ok(());
        }
        if !self.sources.build(&function.spec.name).await {
            return Err(InvokeError::BuildFailed);
        }
        *built = current;
        let mut pool = function.pool();
        let retiring: Vec<u64> = pool.instances.keys().copied().collect();
        for id in retiring {
            let Some(instance) = pool.instances.get_mut(&id) else {
                continue;
            };
            instance.retired = true;
            if matches!(instance.state, InstanceState::Idle(_)) {
                kill(instance.pid);
                pool.instances.remove(&id);
            }
        }
        Ok(())
    }

    /// Hands the event to an idle instance, or queues it and starts an instance if the pool
    /// may grow.
    fn dispatch(&self, function: &Arc<Function>, mut queued: Queued) {
        let mut pool = function.pool();
        let idle: Vec<u64> = pool
            .instances
            .iter()
            .filter(|(_, i)| !i.retired && matches!(i.state, InstanceState::Idle(_)))
            .map(|(id, _)| *id)
            .collect();
        for id in idle {
            let Some(instance) = pool.instances.get_mut(&id) else {
                continue;
            };
            let InstanceState::Idle(waiting) =
                std::mem::replace(&mut instance.state, InstanceState::Busy)
            else {
                continue;
            };
            let request_id = queued.event.request_id.clone();
            match waiting.send(queued.event) {
                Ok(()) => {
                    let reply = queued.reply;
                    pool.in_flight.insert(
                        request_id,
                        InFlight {
                            instance: id,
                            reply,
                        },
                    );
                    return;
                }
                // Its poll was cut off (the process is going away): try the next one.
                Err(event) => queued.event = event,
            }
        }
        pool.queue.push_back(queued);
        let live = pool.instances.values().filter(|i| !i.retired).count();
        let starting = pool
            .instances
            .values()
            .filter(|i| matches!(i.state, InstanceState::Starting))
            .count();
        if live < function.max_instances && starting < pool.queue.len() {
            let id = pool.next_instance;
            pool.next_instance += 1;
            match self.spawn(function, id) {
                Ok(pid) => {
                    pool.instances.insert(
                        id,
                        Instance {
                            pid,
                            state: InstanceState::Starting,
                            retired: false,
                        },
                    );
                }
                Err(error) => {
                    tracing::error!(function = %function.spec.name, error = %format!("{error:#}"), "cannot start the function");
                    if live == 0 {
                        fail_queue(&mut pool, || InvokeError::Crashed);
                    }
                }
            }
        }
    }

    /// Starts one instance; a task reaps it and fails whatever it held when it exits.
    fn spawn(&self, function: &Arc<Function>, id: u64) -> anyhow::Result<u32> {
        let name = &function.spec.name;
        let mut command = tokio::process::Command::new(&function.binary);
        command
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("{}/{name}/{id}", self.runtime_api),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("local/{id}"))
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to kill the child when
        // the emulator dies, so no function process outlives it (even on SIGKILL).
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", function.binary.display()))?;
        let pid = child.id().context("the function exited at once")?;
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(forward_lines(format!("{name}[{id}]"), stdout));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward_lines(format!("{name}[{id}]"), stderr));
        }
        let function = function.clone();
        tokio::spawn(async move {
            let status = child.wait().await;
            let mut pool = function.pool();
            let known = pool.instances.remove(&id).is_some_and(|i| !i.retired);
            let lost: Vec<String> = pool
                .in_flight
                .iter()
                .filter(|(_, f)| f.instance == id)
                .map(|(request, _)| request.clone())
                .collect();
            for request in lost {
                if let Some(in_flight) = pool.in_flight.remove(&request) {
                    let _ = in_flight.reply.send(Err(InvokeError::Crashed));
                }
            }
            if known {
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                tracing::warn!(function = %function.spec.name, instance = id, %status, "function process exited");
            }
            // Nothing left to serve the queue: a function that cannot start fails fast.
            if pool.instances.is_empty() {
                fail_queue(&mut pool, || InvokeError::Crashed);
            }
        });
        Ok(pid)
    }

    /// `GET /{function}/{instance}/2018-06-01/runtime/invocation/next` and the other calls.
    async fn runtime_call(
        self: Arc<Self>,
        request: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let mut parts = path.trim_start_matches('/').splitn(3, '/');
        let (Some(name), Some(instance), Some(call)) = (parts.next(), parts.next(), parts.next())
        else {
            return Ok(plain(StatusCode::NOT_FOUND, "unknown runtime call"));
        };
        let (Some(function), Ok(instance)) = (self.functions.get(name), instance.parse::<u64>())
        else {
            return Ok(plain(StatusCode::NOT_FOUND, "unknown function instance"));
        };
        let call: Vec<&str> = call.split('/').collect();
        let answer = match (method, call.as_slice()) {
            (Method::GET, ["2018-06-01", "runtime", "invocation", "next"]) => {
                next_event(function, instance).await
            }
            (Method::POST, ["2018-06-01", "runtime", "invocation", request_id, outcome]) => {
                let body = request.into_body().collect().await.map(|b| b.to_bytes());
                let Ok(body) = body else {
                    return Ok(plain(StatusCode::BAD_REQUEST, "unreadable body"));
                };
                let result = match *outcome {
                    "response" => Ok(body),
                    "error" => Err(InvokeError::FunctionError(
                        String::from_utf8_lossy(&body).into_owned(),
                    )),
                    _ => return Ok(plain(StatusCode::NOT_FOUND, "unknown runtime call")),
                };
                let in_flight = function.pool().in_flight.remove(*request_id);
                match in_flight {
                    Some(in_flight) => {
                        let _ = in_flight.reply.send(result);
                        plain(StatusCode::ACCEPTED, "")
                    }
                    // Answered after its timeout, or twice: Lambda refuses it too.
                    None => plain(StatusCode::BAD_REQUEST, "no such invocation in flight"),
                }
            }
            (Method::POST, ["2018-06-01", "runtime", "init", "error"]) => {
                let body = request.into_body().collect().await.map(|b| b.to_bytes());
                let detail = body
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                tracing::error!(function = %name, detail = %detail, "function failed to initialise");
                plain(StatusCode::ACCEPTED, "")
            }
            _ => plain(StatusCode::NOT_FOUND, "unknown runtime call"),
        };
        Ok(answer)
    }
}

/// The long poll of an instance: the next queued event, or the next one dispatched to it.
async fn next_event(function: &Function, instance: u64) -> Response<Full<Bytes>> {
    let waiting = {
        let mut pool = function.pool();
        let Some(current) = pool.instances.get(&instance) else {
            return plain(StatusCode::GONE, "this instance was stopped");
        };
        if current.retired {
            kill(current.pid);
            pool.instances.remove(&instance);
            return plain(StatusCode::GONE, "this instance was retired");
        }
        if let Some(queued) = pool.queue.pop_front() {
            if let Some(current) = pool.instances.get_mut(&instance) {
                current.state = InstanceState::Busy;
            }
            let request_id = queued.event.request_id.clone();
            pool.in_flight.insert(
                request_id,
                InFlight {
                    instance,
                    reply: queued.reply,
                },
            );
            return event_response(queued.event, &function.spec.name);
        }
        let (sender, receiver) = oneshot::channel();
        if let Some(current) = pool.instances.get_mut(&instance) {
            current.state = InstanceState::Idle(sender);
        }
        receiver
    };
    match waiting.await {
        Ok(event) => event_response(event, &function.spec.name),
        Err(_) => plain(StatusCode::GONE, "this instance was stopped"),
    }
}

fn event_response(event: Event, function: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &event.request_id)
        .header("lambda-runtime-deadline-ms", event.deadline_ms.to_string())
        .header(
            "lambda-runtime-invoked-function-arn",
            format!("arn:aws:lambda:us-east-1:000000000000:function:{function}"),
        )
        .body(Full::new(event.payload))
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "bad event"))
}

fn fail_queue(pool: &mut Pool, error: impl Fn() -> InvokeError) {
    for queued in pool.queue.drain(..) {
        let _ = queued.reply.send(Err(error()));
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

fn kill(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: signalling a child we have not reaped yet, so the pid is still ours.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

/// Copies a function's output to the emulator's, each line prefixed with its instance.
async fn forward_lines(prefix: String, output: impl AsyncRead + Unpin) {
    let mut lines = BufReader::new(output).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{prefix} {line}");
    }
}

async fn serve_runtime_api(listener: TcpListener, lambda: Arc<Lambda>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let lambda = lambda.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request| lambda.clone().runtime_call(request));
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}
