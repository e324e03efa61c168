//! The connections of a port behind the gateway when internal TLS is on: each one's
//! handshake, and what a request learns of it.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Stream, StreamExt as _};
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tonic::transport::server::Connected;

use super::InternalTls;
use crate::net::{Connection, ConnectionInfo};

/// The first byte of a TLS handshake record; an HTTP/2 preface starts with `P`.
const TLS_HANDSHAKE: u8 = 0x16;

/// An accepted connection: mutual TLS, or plaintext where the port still allows it.
#[derive(Debug)]
pub enum InternalConnection {
    /// A completed mutual-TLS handshake.
    Tls(Box<TlsStream<Connection>>),
    /// Plaintext HTTP/2 (only with `accept_plaintext`): its calls need the token.
    Plain(Connection),
}

/// What a request learns of its connection: the connection's own info, and the client's
/// certificate chain when it came over mutual TLS.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    /// The TCP addresses and the activity the connection hygiene watches.
    pub connection: ConnectionInfo,
    certificates: Option<Arc<Vec<CertificateDer<'static>>>>,
}

impl PeerInfo {
    /// The client's chain, leaf first, verified against the CA in the handshake.
    pub fn certificates(&self) -> Option<&[CertificateDer<'static>]> {
        self.certificates.as_deref().map(Vec::as_slice)
    }
}

impl InternalTls {
    /// The connections made over `connections`, each shaken hands with the files current
    /// when it arrived (or passed on as plaintext, where allowed); up to `concurrency`
    /// handshakes run at once, each within `handshake_timeout`. One that fails (no
    /// certificate, another CA's, silence) closes its connection and is counted.
    pub fn accept<S>(
        &self,
        connections: S,
        concurrency: usize,
        handshake_timeout: Duration,
        port: String,
    ) -> impl Stream<Item = io::Result<InternalConnection>> + Send + 'static
    where
        S: Stream<Item = io::Result<Connection>> + Send + 'static,
    {
        let current = self.current.clone();
        let plaintext = self.accept_plaintext;
        connections
            .map(move |accepted| {
                let acceptor = TlsAcceptor::from(current.borrow().server.clone());
                let port = port.clone();
                async move {
                    let connection = accepted?;
                    let handshake = async {
                        if plaintext && !starts_tls(&connection).await? {
                            return Ok(InternalConnection::Plain(connection));
                        }
                        let stream = acceptor.accept(connection).await?;
                        Ok::<_, io::Error>(InternalConnection::Tls(Box::new(stream)))
                    };
                    match tokio::time::timeout(handshake_timeout, handshake).await {
                        Ok(Ok(connection)) => Ok(Some(connection)),
                        Ok(Err(err)) => {
                            refused(&port, &err.to_string());
                            Ok(None)
                        }
                        Err(_) => {
                            refused(&port, "no handshake in time");
                            Ok(None)
                        }
                    }
                }
            })
            .buffer_unordered(concurrency.max(1))
            .filter_map(|accepted| std::future::ready(accepted.transpose()))
    }
}

/// Whether the connection's first byte opens a TLS handshake.
async fn starts_tls(connection: &Connection) -> io::Result<bool> {
    let mut first = [0u8; 1];
    let read = connection.peek(&mut first).await?;
    Ok(read == 1 && first[0] == TLS_HANDSHAKE)
}

fn refused(port: &str, why: &str) {
    tracing::debug!(port, error = why, "refused a TLS handshake");
    metrics::counter!("xingfu_tls_handshake_failures_total", "port" => port.to_owned())
        .increment(1);
}

impl Connected for InternalConnection {
    type ConnectInfo = PeerInfo;

    fn connect_info(&self) -> PeerInfo {
        match self {
            Self::Tls(stream) => {
                let (connection, session) = stream.get_ref();
                PeerInfo {
                    connection: connection.info(),
                    certificates: session
                        .peer_certificates()
                        .map(|certs| Arc::new(certs.to_vec())),
                }
            }
            Self::Plain(connection) => PeerInfo {
                connection: connection.info(),
                certificates: None,
            },
        }
    }
}

impl AsyncRead for InternalConnection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
            Self::Plain(connection) => Pin::new(connection).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for InternalConnection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
            Self::Plain(connection) => Pin::new(connection).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
            Self::Plain(connection) => Pin::new(connection).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
            Self::Plain(connection) => Pin::new(connection).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_write_vectored(cx, bufs),
            Self::Plain(connection) => Pin::new(connection).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Tls(stream) => stream.is_write_vectored(),
            Self::Plain(connection) => connection.is_write_vectored(),
        }
    }
}
