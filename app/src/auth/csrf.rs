//! State-changing requests must come from our own pages.

use http::{HeaderMap, Method, header};

/// True when a request may change state: safe methods always; others only when the browser
/// says it comes from this site (Origin matches Host, or Sec-Fetch-Site is same-origin).
/// A request with neither header is from a non-browser client and carries no ambient
/// cookie risk, so it passes.
pub fn is_same_origin(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
        && site != "none"
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn a_post_from_another_origin_is_refused() {
        let h = headers(&[("origin", "https://evil.example"), ("host", "app.example")]);
        assert!(!is_same_origin(&Method::POST, &h));
    }

    #[test]
    fn a_post_from_our_origin_passes() {
        let h = headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(is_same_origin(&Method::POST, &h));
    }

    #[test]
    fn a_cross_site_fetch_is_refused_even_without_origin() {
        let h = headers(&[("sec-fetch-site", "cross-site"), ("host", "app.example")]);
        assert!(!is_same_origin(&Method::POST, &h));
    }

    #[test]
    fn reads_always_pass() {
        let h = headers(&[("origin", "https://evil.example"), ("host", "app.example")]);
        assert!(is_same_origin(&Method::GET, &h));
    }
}
