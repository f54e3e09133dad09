//! The moves a generated client makes: mostly valid flows, with targeted wrong moves.

use serde_json::{Value, json};

use super::{CodeInfo, Generator, REDIRECT, r, s256_challenge};
use crate::trace::Field;

impl Generator {
    /// Choose the next event.
    pub(super) fn next_event(&mut self) -> Value {
        let roll = self.below(100);
        if self.clients.is_empty() || roll < 10 {
            return self.register();
        }
        match roll {
            10..=31 => self.authorize(),
            32..=53 => self.exchange_code(),
            54..=65 => self.refresh(),
            66..=75 => self.revoke(),
            76..=94 => self.resource(),
            95..=97 => json!({"kind": "authorization_server_metadata"}),
            _ => json!({"kind": "protected_resource_metadata"}),
        }
    }

    fn register(&mut self) -> Value {
        let method = ["client_secret_post", "client_secret_basic", "none"][self.below(3)];
        let scope = ["read write", "read", "write", ""][self.below(4)];
        let body = match self.below(20) {
            0 => r#"{"redirect_uris":["http://localhost:9999/cb"],"scope":"read admin"}"#.to_owned(),
            1 => r#"{"scope":"read"}"#.to_owned(),
            2 => r#"{"redirect_uris":["http://localhost:9999/cb"],"#.to_owned(),
            3 => json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": method, "grant_types": ["authorization_code"], "scope": scope}).to_string(),
            4 => json!({"redirect_uris": [REDIRECT, "http://localhost:9999/other"], "token_endpoint_auth_method": method}).to_string(),
            _ if scope.is_empty() => json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": method}).to_string(),
            _ => json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": method, "scope": scope}).to_string(),
        };
        json!({"kind": "register", "body": body})
    }

    /// Client authentication for client `c`: `(form pairs, authorization)`.
    fn auth(&mut self, c: usize, wrong_secret: bool) -> (Vec<Value>, Value) {
        let info = self.clients[c].clone();
        let id = r(info.step, Field::ClientId);
        let secret = if wrong_secret {
            json!("not-the-secret")
        } else {
            r(info.step, Field::ClientSecret)
        };
        match info.method {
            "none" => (vec![json!(["client_id", id])], Value::Null),
            "client_secret_basic" => (
                vec![json!(["client_id", id.clone()])],
                json!({"basic": [id, secret]}),
            ),
            _ => (
                vec![json!(["client_id", id]), json!(["client_secret", secret])],
                Value::Null,
            ),
        }
    }

    fn authorize(&mut self) -> Value {
        let c = self.below(self.clients.len());
        let info = self.clients[c].clone();
        let verifier = format!(
            "verifier-{:016x}-{:016x}-{:08x}",
            self.rng_u64(),
            self.rng_u64(),
            self.below(1 << 30)
        );
        let challenge = s256_challenge(&verifier);
        let explicit = self.chance(70);
        let mut params = vec![
            json!(["response_type", "code"]),
            json!(["client_id", r(info.step, Field::ClientId)]),
            json!(["code_challenge", challenge]),
        ];
        if explicit {
            params.push(json!(["redirect_uri", REDIRECT]));
        }
        if self.chance(60) {
            params.push(json!(["code_challenge_method", "S256"]));
        }
        if !info.scope.is_empty() && self.chance(80) {
            let n = 1 + self.below(info.scope.len());
            params.push(json!(["scope", info.scope[..n].join(" ")]));
        }
        if self.chance(70) {
            params.push(json!(["state", format!("st{}", self.below(1000))]));
        }
        match self.below(14) {
            0 => params.push(json!(["redirect_uri", "http://localhost:1234/cb"])),
            1 => params.retain(|p| p[0] != "code_challenge"),
            2 => params.push(json!(["code_challenge_method", "plain"])),
            3 => params[1] = json!(["client_id", "no-such-client"]),
            4 => params.push(json!(["scope", "admin"])),
            5 => params[0] = json!(["response_type", "token"]),
            6 => params.push(json!(["redirect_uri", "not a url"])),
            _ => {
                self.pending_code = Some(CodeInfo {
                    step: 0,
                    client: c,
                    verifier,
                    explicit,
                    issued: self.now,
                });
            }
        }
        let method = if self.chance(20) { "POST" } else { "GET" };
        json!({"kind": "authorize", "method": method, "params": params})
    }

    fn exchange_code(&mut self) -> Value {
        let Some(code) = self.pick(&self.codes.clone()) else {
            return self.authorize();
        };
        let wrong_client = self.clients.len() > 1 && self.chance(8);
        let c = if wrong_client {
            self.below(self.clients.len())
        } else {
            code.client
        };
        let wrong = self.chance(4);
        let (mut form, authorization) = self.auth(c, wrong);
        form.insert(0, json!(["grant_type", "authorization_code"]));
        form.push(json!(["code", r(code.step, Field::Code)]));
        let mut verifier = code.verifier.clone();
        let mut explicit = code.explicit;
        match self.below(12) {
            0 => verifier.push('x'),
            1 => explicit = !explicit,
            2 => form.retain(|p| p[0] != "code"),
            _ => {}
        }
        if self.chance(3) {
            form.push(json!(["redirect_uri", "http://localhost:9999/cb/"]));
        } else if explicit {
            form.push(json!(["redirect_uri", REDIRECT]));
        }
        if !self.chance(3) {
            form.push(json!(["code_verifier", verifier]));
        }
        self.pending_client = Some(c);
        json!({"kind": "token", "form": form, "authorization": authorization})
    }

    fn refresh(&mut self) -> Value {
        let Some(pair) = self.pick(&self.pairs.clone()) else {
            return self.exchange_code();
        };
        let wrong_client = self.clients.len() > 1 && self.chance(8);
        let c = if wrong_client {
            self.below(self.clients.len())
        } else {
            pair.client
        };
        let wrong = self.chance(3);
        let (mut form, authorization) = self.auth(c, wrong);
        form.insert(0, json!(["grant_type", "refresh_token"]));
        form.push(json!(["refresh_token", r(pair.step, Field::RefreshToken)]));
        match self.below(6) {
            0 if !pair.scopes.is_empty() => form.push(json!(["scope", pair.scopes[0].clone()])),
            1 => form.push(json!(["scope", "read write"])),
            2 => form.push(json!(["scope", "admin"])),
            _ => {}
        }
        self.pending_client = Some(c);
        json!({"kind": "token", "form": form, "authorization": authorization})
    }

    fn revoke(&mut self) -> Value {
        let Some(pair) = self.pick(&self.pairs.clone()) else {
            return self.resource();
        };
        let c = if self.chance(10) {
            self.below(self.clients.len())
        } else {
            pair.client
        };
        let wrong = self.chance(5);
        let (mut form, authorization) = self.auth(c, wrong);
        let field = if self.chance(50) {
            Field::AccessToken
        } else {
            Field::RefreshToken
        };
        form.push(json!(["token", r(pair.step, field)]));
        match self.below(5) {
            0 => form.push(json!(["token_type_hint", field.name()])),
            1 => form.push(json!(["token_type_hint", "bogus"])),
            _ => {}
        }
        if self.clients[c].method != "client_secret_post" && self.chance(70) {
            form.push(json!(["client_secret", ""]));
        }
        json!({"kind": "revoke", "form": form, "authorization": authorization})
    }

    fn resource(&mut self) -> Value {
        let header = match (self.pick(&self.pairs.clone()), self.below(10)) {
            (_, 0) => vec![],
            (_, 1) => vec![json!("Bearer garbage")],
            (_, 2) => vec![json!("Basic Zm9vOmJhcg==")],
            (Some(p), 3) => vec![json!({"concat": ["bearer ", r(p.step, Field::AccessToken)]})],
            (Some(p), _) => vec![json!({"concat": ["Bearer ", r(p.step, Field::AccessToken)]})],
            (None, _) => vec![json!("Bearer test_access_token_00")],
        };
        json!({"kind": "resource", "authorization": header})
    }

    fn rng_u64(&mut self) -> u64 {
        use rand_core::RngCore as _;
        self.rng.next_u64()
    }
}
