//! A WebSocket client for the tests of the live-bidding API: every receive has a deadline, so
//! a missing frame fails its test instead of hanging it, and every text frame received is kept
//! verbatim, so a test can search all a connection was ever sent.

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// How long a test waits for a frame it expects.
pub const FRAME_WAIT: Duration = Duration::from_secs(10);

/// One client connection.
pub struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Frames received but not yet taken by a `next*` call, oldest first.
    pending: VecDeque<Value>,
    /// Every text frame received, as sent.
    raw: Vec<String>,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").field("raw", &self.raw).finish()
    }
}

/// `url` with `?ticket=<ticket>`, as a browser would send it (a bare host gets the path `/`).
pub fn ticket_url(url: &str, ticket: &str) -> String {
    let has_path = url
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains('/'));
    let separator = if has_path { "" } else { "/" };
    format!("{url}{separator}?ticket={ticket}")
}

impl Socket {
    /// Opens a connection to `url` (a refused upgrade is an error naming its status).
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let (stream, _) = tokio::time::timeout(FRAME_WAIT, connect_async(url))
            .await
            .context("the WebSocket upgrade did not answer within 10 s")?
            .map_err(|error| match error {
                WsError::Http(response) => {
                    anyhow::anyhow!("the upgrade was refused with {}", response.status())
                }
                other => anyhow::anyhow!("connecting: {other}"),
            })?;
        Ok(Self {
            stream,
            pending: VecDeque::new(),
            raw: Vec::new(),
        })
    }

    /// The HTTP status a refused upgrade answered; an error if the upgrade succeeded.
    pub async fn refused(url: &str) -> anyhow::Result<u16> {
        let attempt = tokio::time::timeout(FRAME_WAIT, connect_async(url))
            .await
            .context("the WebSocket upgrade did not answer within 10 s")?;
        match attempt {
            Ok(_) => bail!("the upgrade was accepted"),
            Err(WsError::Http(response)) => Ok(response.status().as_u16()),
            Err(other) => bail!("connecting failed without an HTTP answer: {other}"),
        }
    }

    /// Sends a text frame.
    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.stream.send(Message::text(text)).await?;
        Ok(())
    }

    /// Sends `value` as a JSON text frame.
    pub async fn send_json(&mut self, value: &Value) -> anyhow::Result<()> {
        self.send_text(&value.to_string()).await
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.stream.send(Message::binary(bytes.to_vec())).await?;
        Ok(())
    }

    /// The next frame, whatever it is.
    pub async fn next(&mut self) -> anyhow::Result<Value> {
        self.next_where(|_| true).await
    }

    /// The next frame of `kind` (its `type`); frames of other kinds stay pending.
    pub async fn next_of(&mut self, kind: &str) -> anyhow::Result<Value> {
        self.next_where(|frame| frame["type"] == kind)
            .await
            .with_context(|| format!("waiting for a {kind} frame"))
    }

    /// The next frame for which `wanted` holds, within [`FRAME_WAIT`]; frames it does not
    /// want stay pending for later calls.
    pub async fn next_where(&mut self, wanted: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
        self.next_within(FRAME_WAIT, wanted).await
    }

    /// Like [`Socket::next_where`], waiting up to `wait` (for what a schedule sends later).
    pub async fn next_within(
        &mut self,
        wait: Duration,
        wanted: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        if let Some(at) = self.pending.iter().position(&wanted) {
            return self.pending.remove(at).context("pending frame");
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.receive()).await {
                Ok(frame) => frame?,
                Err(_) => bail!(
                    "no such frame within {wait:?}; received meanwhile: {:?}",
                    self.pending
                ),
            };
            if wanted(&frame) {
                return Ok(frame);
            }
            self.pending.push_back(frame);
        }
    }

    /// Every frame that arrives within `wait` (and those pending), taken.
    pub async fn drain(&mut self, wait: Duration) -> anyhow::Result<Vec<Value>> {
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(frame) = tokio::time::timeout_at(deadline, self.receive()).await {
            let frame = frame?;
            self.pending.push_back(frame);
        }
        Ok(self.pending.drain(..).collect())
    }

    /// Every text frame this connection was sent, verbatim.
    pub fn raw(&self) -> &[String] {
        &self.raw
    }

    /// Sends `{"action": "subscribe", "auctionId": auction}` and answers the reply: the
    /// `subscribed` frame of that auction, or the next `error`.
    pub async fn subscribe(&mut self, auction: &str) -> anyhow::Result<Value> {
        self.send_json(&serde_json::json!({"action": "subscribe", "auctionId": auction}))
            .await?;
        self.next_where(|frame| {
            (frame["type"] == "subscribed" && frame["auctionId"] == auction)
                || frame["type"] == "error"
        })
        .await
        .context("waiting for the answer to subscribe")
    }

    /// [`Socket::subscribe`], which must succeed.
    pub async fn follow(&mut self, auction: &str) -> anyhow::Result<Value> {
        let answer = self.subscribe(auction).await?;
        anyhow::ensure!(
            answer["type"] == "subscribed",
            "subscribing to {auction} answered {answer}"
        );
        Ok(answer)
    }

    /// Sends a close frame and waits (briefly) for the server's close.
    pub async fn close(mut self) -> anyhow::Result<()> {
        self.stream.close(None).await?;
        let _ = tokio::time::timeout(FRAME_WAIT, async {
            while let Some(Ok(_)) = self.stream.next().await {}
        })
        .await;
        Ok(())
    }

    /// The next text (or binary) frame as JSON; control frames are skipped.
    async fn receive(&mut self) -> anyhow::Result<Value> {
        loop {
            let message = self
                .stream
                .next()
                .await
                .context("the connection closed")??;
            let text = match message {
                Message::Text(text) => text.as_str().to_string(),
                Message::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Message::Close(frame) => bail!("the server closed the connection: {frame:?}"),
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            };
            self.raw.push(text.clone());
            return serde_json::from_str(&text)
                .with_context(|| format!("a frame that is not JSON: {text}"));
        }
    }
}
