//! HTTP to addresses an account gives us: webhook subscriptions, API channels' reply URLs
//! and the file links their messages carry. Such a request must not reach this machine or
//! the private network behind it (server-side request forgery), so the HTTP client these
//! use resolves names itself and refuses loopback, private, link-local and other
//! non-public addresses, and a URL naming such an address is refused before connecting.
//! `DIALOGS_ALLOW_PRIVATE_URLS=1` lifts this for installations whose integrations live on
//! the private network (and for tests against local fakes).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether requests may go to non-public addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    PublicOnly,
    Anywhere,
}

/// A client builder whose name lookups skip non-public addresses (unless `reach` allows
/// them). Requests to a name that resolves only to such addresses fail to connect.
pub fn guarded(builder: reqwest::ClientBuilder, reach: Reach) -> reqwest::ClientBuilder {
    match reach {
        Reach::Anywhere => builder,
        Reach::PublicOnly => builder.dns_resolver(Arc::new(PublicResolver)),
    }
}

/// Checks a URL before a request: http or https, with a host that is not a non-public IP
/// literal or `localhost` (names are checked again when they are resolved). The error is a
/// sentence for the account's admin.
pub fn check_url(url: &str, reach: Reach) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| format!("{url:?} is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{url:?} is not an http or https URL"));
    }
    if reach == Reach::Anywhere {
        return Ok(parsed);
    }
    let refused = || {
        Err(format!(
            "{} is a private or local address; Dialogs sends only to public addresses \
             (an administrator can allow private ones with DIALOGS_ALLOW_PRIVATE_URLS=1)",
            parsed.host_str().unwrap_or_default()
        ))
    };
    match parsed.host() {
        None => Err(format!("{url:?} has no host")),
        Some(url::Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => refused(),
        Some(url::Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => refused(),
        Some(url::Host::Domain(name))
            if name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost") =>
        {
            refused()
        }
        Some(_) => Ok(parsed),
    }
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                // Carrier-grade NAT 100.64.0.0/10, "this network" 0/8, benchmarking 198.18/15,
                // reserved 240/4.
                || (a == 100 && (64..128).contains(&b))
                || a == 0
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8))
        }
    }
}

/// A request refused because its host is not public: final, not worth retrying.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// The reason, when a failed request was refused for its address (anywhere in the chain of
/// causes reqwest wraps it in).
pub fn refusal(err: &reqwest::Error) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.0.clone());
        }
        cause = e.source();
    }
    None
}

/// Resolves with the system resolver and keeps public addresses only.
struct PublicResolver;

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(Refused(format!(
                    "{host} resolves only to private or local addresses; Dialogs sends only to \
                     public addresses (DIALOGS_ALLOW_PRIVATE_URLS=1 allows private ones)"
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "93.184.216.34", "2606:4700::1111"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn urls_naming_this_machine_or_the_private_network_are_refused() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
            "https://localhost/hook",
            "http://api.localhost/",
            "http://10.0.0.5/",
        ] {
            assert!(check_url(url, Reach::PublicOnly).is_err(), "{url}");
            assert!(check_url(url, Reach::Anywhere).is_ok(), "{url}");
        }
        assert!(check_url("https://bot.example.com/hook", Reach::PublicOnly).is_ok());
        assert!(check_url("ftp://example.com/", Reach::Anywhere).is_err());
        assert!(check_url("not a url", Reach::Anywhere).is_err());
    }
}
