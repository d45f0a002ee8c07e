//! Relaying bytes between two sockets on loopback: both ways, with
//! half-closes passed on, by splice and by copying, and the idle timeout.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use v6proxy::relay::server::pump::{End, Progress, relay};

/// A connected pair of sockets: (the far end, the end the relay holds).
async fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let far = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    let (near, _) = l.accept().await.unwrap();
    (far, near)
}

async fn both_ways(splice: bool) {
    let (mut client, mut client_side) = pair().await;
    let (mut backend, mut backend_side) = pair().await;
    let progress = Progress::default();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let run = relay(
        &mut client_side,
        &mut backend_side,
        Duration::from_secs(5),
        splice,
        &progress,
    );
    let talk = async {
        // The client sends a lot and closes its sending half; the backend
        // reads it all, answers, and closes.
        let send = async {
            client.write_all(&big).await.unwrap();
            client.shutdown().await.unwrap();
            let mut answer = Vec::new();
            client.read_to_end(&mut answer).await.unwrap();
            answer
        };
        let serve = async {
            let mut got = Vec::new();
            backend.read_to_end(&mut got).await.unwrap();
            backend.write_all(b"thanks").await.unwrap();
            backend.shutdown().await.unwrap();
            got
        };
        tokio::join!(send, serve)
    };
    let (end, (answer, got)) = tokio::join!(run, talk);
    assert_eq!(end, End::Done);
    assert!(got == big, "the backend got every byte in order");
    assert_eq!(answer, b"thanks");
    assert_eq!(
        progress.up.load(std::sync::atomic::Ordering::Relaxed),
        big.len() as u64
    );
    assert_eq!(progress.down.load(std::sync::atomic::Ordering::Relaxed), 6);
}

#[tokio::test]
async fn splice_relays_both_ways_and_half_closes() {
    both_ways(true).await;
}

#[tokio::test]
async fn copying_relays_both_ways_and_half_closes() {
    both_ways(false).await;
}

#[tokio::test]
async fn nothing_moving_ends_the_relay_after_the_idle_timeout() {
    let (mut client, mut client_side) = pair().await;
    let (_backend, mut backend_side) = pair().await;
    let progress = Progress::default();
    let start = Instant::now();
    let run = relay(
        &mut client_side,
        &mut backend_side,
        Duration::from_millis(300),
        true,
        &progress,
    );
    let talk = async {
        // Activity at 200 ms pushes the deadline to 500 ms.
        tokio::time::sleep(Duration::from_millis(200)).await;
        client.write_all(b"x").await.unwrap();
    };
    let (end, ()) = tokio::join!(run, talk);
    let took = start.elapsed();
    assert_eq!(end, End::Idle);
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert!(took < Duration::from_millis(2000), "{took:?}");
}
