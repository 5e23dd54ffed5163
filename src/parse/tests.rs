use super::*;
use crate::model::*;

fn tcp(line: &str) -> TcpPacket {
    match parse_line(line) {
        RecordKind::Tcp(p) => *p,
        other => panic!("not TCP: {other:?}"),
    }
}

#[test]
fn article_syn() {
    let p = tcp("1 12:43:46.905723 IP 172.16.196.142.41334 > 172.16.196.145.60000: Flags [S], seq 3255498564, win 14600, options [mss 1460,sackOK,TS val 1412272238 ecr 0,nop,wscale 7], length 0");
    assert_eq!(p.prefix.number, Some(1));
    assert_eq!(p.src.host, "172.16.196.142");
    assert_eq!(p.dst.port.as_deref(), Some("60000"));
    assert_eq!(p.flags, Flags::SYN);
    assert_eq!(
        p.seq,
        Some(SeqRange {
            first: 3255498564,
            last: None
        })
    );
    assert_eq!(p.mss(), Some(1460));
    assert_eq!(p.wscale(), Some(7));
    assert_eq!(p.timestamps(), Some((1412272238, 0)));
    assert_eq!(p.length, Some(0));
}
