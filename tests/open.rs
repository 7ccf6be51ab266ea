//! Choosing an engine at run time from a URL.
#![allow(clippy::unwrap_used)]

use crm::Error;

#[tokio::test]
async fn an_unknown_scheme_is_refused_with_a_clear_error() {
    let r = crm::open("mongodb://localhost/crm").await;
    match r {
        Err(Error::Invalid { field, reason }) => {
            assert_eq!(field, "url");
            assert!(
                reason.contains("mongodb") && reason.contains("sled:"),
                "{reason}"
            );
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("opened an unknown scheme"),
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_backend_error() {
    let r = crm::open("postgres://postgres@127.0.0.1:1/crm").await;
    assert!(matches!(r, Err(Error::Backend(_))), "{:?}", r.err());
}

#[tokio::test]
async fn every_embedded_scheme_opens_a_working_store() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "memory:".to_owned(),
        format!("sled:{}", dir.path().join("sled").display()),
        format!("sqlite:{}", dir.path().join("crm.db").display()),
    ] {
        let store = crm::open(&url).await.unwrap();
        let crm = crm::Crm::new(store);
        crm.bootstrap("打开测试有限公司", "admin", "管理员")
            .await
            .unwrap();
        assert_eq!(crm.org().await.unwrap().employees().count(), 1, "{url}");
    }
}
