//! Bit-exact re-implementations of the Python library functions FastMCP's HTTP layer leans on.
//!
//! The `fastmcp` profile answers byte for byte like the live server, so the small pieces of
//! CPython, pydantic and Starlette that shape a response are reproduced here: URL parsing and
//! serialization (pydantic `AnyUrl`), `urllib.parse` splitting, quoting and query building, the
//! non-strict `base64.b64decode` behind HTTP Basic, and Python's `json.dumps` layout. Each is a
//! pure function with its own tests.

pub(crate) mod b64;
pub(crate) mod pyjson;
pub(crate) mod pyurl;
pub(crate) mod url_model;
