//! A provider's login (or consent) page, filled in the way a person would: the form that has
//! inputs for the fields given with `--login-field`, its hidden inputs' values kept, submitted
//! with its own method to its own action. The page is parsed with `scraper` (html5ever, the
//! servo HTML parser), never by hand.

use scraper::{ElementRef, Html, Selector};
use url::Url;

/// A filled form, ready to send.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Submission {
    /// `GET` or `POST` (the form's `method`, `GET` when absent, as in HTML).
    pub(crate) method: &'static str,
    /// The form's action resolved against the page URL; for `GET` the fields are its query.
    pub(crate) url: Url,
    /// For `POST`: the `application/x-www-form-urlencoded` body.
    pub(crate) body: Vec<u8>,
    /// The names of the fields sent (values are not shown: a password is among them).
    pub(crate) names: Vec<String>,
}

impl std::fmt::Debug for Submission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submission")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// What a page offers to fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Page {
    /// The form with inputs for the most of the given fields, filled.
    Form(Submission),
    /// The page has a form, but none has an input for a given field (or no field was given).
    NoMatchingForm {
        /// The input names of each form on the page, for the report.
        forms: Vec<Vec<String>>,
    },
    /// The page has no form at all.
    NoForm,
}

/// Whether a `Content-Type` is HTML.
pub(crate) fn is_html(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| {
        let media = c.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case("text/html")
            || media.eq_ignore_ascii_case("application/xhtml+xml")
    })
}

fn selector(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

/// A form's named controls: (name, the value it submits if not given).
type Controls = Vec<(String, Option<String>)>;

/// The named controls of `form` in document order, with the value each submits (`None`: a
/// control that submits nothing unless given: an unchecked box, a button).
fn controls(form: ElementRef<'_>) -> Controls {
    let Some(sel) = selector("input, select, textarea, button") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for el in form.select(&sel) {
        let Some(name) = el.attr("name").filter(|n| !n.is_empty()) else {
            continue;
        };
        if el.attr("disabled").is_some() {
            continue;
        }
        let value = match el.value().name() {
            "input" => {
                let kind = el.attr("type").unwrap_or("text").to_ascii_lowercase();
                match kind.as_str() {
                    "checkbox" | "radio" => el
                        .attr("checked")
                        .map(|_| el.attr("value").unwrap_or("on").to_owned()),
                    "submit" | "button" | "reset" | "image" | "file" => None,
                    _ => Some(el.attr("value").unwrap_or("").to_owned()),
                }
            }
            "textarea" => Some(el.text().collect()),
            "select" => selector("option").and_then(|o| {
                let options: Vec<ElementRef<'_>> = el.select(&o).collect();
                options
                    .iter()
                    .find(|o| o.attr("selected").is_some())
                    .or(options.first())
                    .map(|o| {
                        o.attr("value")
                            .map_or_else(|| o.text().collect(), str::to_owned)
                    })
            }),
            _ => None,
        };
        out.push((name.to_owned(), value));
    }
    out
}

/// Read the page at `page_url` and fill the form that has inputs for the most of `fields`
/// (at least one; the first such form on a tie). Given fields are set (an unchecked box among
/// them is sent with the given value); every other control keeps the value the page gave it;
/// buttons are not sent.
pub(crate) fn fill(html: &str, page_url: &Url, fields: &[(String, String)]) -> Page {
    let doc = Html::parse_document(html);
    let Some(form_sel) = selector("form") else {
        return Page::NoForm;
    };
    let forms: Vec<ElementRef<'_>> = doc.select(&form_sel).collect();
    if forms.is_empty() {
        return Page::NoForm;
    }
    let mut best: Option<(usize, ElementRef<'_>, Controls)> = None;
    let mut listed = Vec::new();
    for form in forms {
        let ctl = controls(form);
        listed.push(ctl.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>());
        let hits = fields
            .iter()
            .filter(|(name, _)| ctl.iter().any(|(n, _)| n == name))
            .count();
        if hits > 0 && best.as_ref().is_none_or(|(h, _, _)| hits > *h) {
            best = Some((hits, form, ctl));
        }
    }
    let Some((_, form, ctl)) = best else {
        return Page::NoMatchingForm { forms: listed };
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in ctl {
        if let Some((_, given)) = fields.iter().find(|(n, _)| *n == name) {
            if !pairs.iter().any(|(n, _)| *n == name) {
                pairs.push((name, given.clone()));
            }
        } else if let Some(v) = value {
            pairs.push((name, v));
        }
    }
    let action = form.attr("action").unwrap_or("");
    let Ok(mut url) = page_url.join(action) else {
        return Page::NoMatchingForm { forms: listed };
    };
    url.set_fragment(None);
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter())
        .finish();
    let post = form
        .attr("method")
        .is_some_and(|m| m.eq_ignore_ascii_case("post"));
    let names = pairs.iter().map(|(n, _)| n.clone()).collect();
    if post {
        Page::Form(Submission {
            method: "POST",
            url,
            body: encoded.into_bytes(),
            names,
        })
    } else {
        url.set_query(Some(&encoded));
        Page::Form(Submission {
            method: "GET",
            url,
            body: Vec::new(),
            names,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("http://127.0.0.1:1/interaction/abc?x=1").unwrap_or_else(|e| panic!("{e}"))
    }

    fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const LOGIN: &str = r#"<html><body>
        <form action="/search" method="get"><input name="q"></form>
        <form autocomplete="off" action="/interaction/abc/login" method="post">
          <input type="hidden" name="prompt" value="login"/>
          <input required type="text" name="login" placeholder="Enter any login" />
          <input required type="password" name="password" />
          <input type="checkbox" name="remember" value="yes" />
          <button type="submit" name="go" value="1">Sign-in</button>
        </form></body></html>"#;

    #[test]
    fn the_form_with_the_given_fields_is_filled_keeping_hidden_values() {
        let Page::Form(s) = fill(
            LOGIN,
            &url(),
            &fields(&[("login", "u"), ("password", "p&=")]),
        ) else {
            panic!("no form filled");
        };
        assert_eq!(s.method, "POST");
        assert_eq!(s.url.as_str(), "http://127.0.0.1:1/interaction/abc/login");
        assert_eq!(
            String::from_utf8_lossy(&s.body),
            "prompt=login&login=u&password=p%26%3D"
        );
        assert_eq!(s.names, ["prompt", "login", "password"]);
        assert!(
            !format!("{s:?}").contains("p&="),
            "the password is not in Debug"
        );
    }

    #[test]
    fn an_empty_action_posts_back_to_the_page_and_a_get_form_carries_a_query() {
        let page = r#"<form><input type="hidden" name="t" value="1"><input name="confirm" type="checkbox"></form>"#;
        let Page::Form(s) = fill(page, &url(), &fields(&[("confirm", "yes")])) else {
            panic!("no form filled");
        };
        assert_eq!(s.method, "GET");
        assert_eq!(
            s.url.as_str(),
            "http://127.0.0.1:1/interaction/abc?t=1&confirm=yes"
        );
    }

    #[test]
    fn no_field_given_or_no_form_is_said_so() {
        assert_eq!(
            fill(LOGIN, &url(), &[]),
            Page::NoMatchingForm {
                forms: vec![
                    vec!["q".to_owned()],
                    vec![
                        "prompt".to_owned(),
                        "login".to_owned(),
                        "password".to_owned(),
                        "remember".to_owned(),
                        "go".to_owned()
                    ]
                ]
            }
        );
        assert_eq!(
            fill("<p>denied</p>", &url(), &fields(&[("a", "b")])),
            Page::NoForm
        );
        assert!(is_html(Some("text/html; charset=utf-8")));
        assert!(!is_html(Some("application/json")));
    }
}
