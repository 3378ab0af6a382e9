//! Keyset paging of the lists (docs/http-api.md#paging): rows are read from the store a page at a
//! time by their key (`id > after … LIMIT n`), kept if the caller may see them, until `count` are
//! kept or the rows run out — never the agreement's every row for one page.

use std::future::Future;

use crate::error::AppResult;

/// Most rows read from the store at once while filling a page.
const MAX_BATCH: usize = 1000;

/// Up to `count` rows with keys above `after`: `fetch(after, n)` reads the next `n` rows in key
/// order, `keep` keeps those the caller may see (in order), `key` is a row's key.
pub(crate) async fn keyset<T, F, K>(
    after: i64,
    count: usize,
    mut fetch: impl FnMut(i64, u32) -> F,
    key: impl Fn(&T) -> i64,
    mut keep: impl FnMut(Vec<T>) -> K,
) -> AppResult<Vec<T>>
where
    F: Future<Output = AppResult<Vec<T>>>,
    K: Future<Output = AppResult<Vec<T>>>,
{
    let batch = count.clamp(1, MAX_BATCH);
    let (mut out, mut cursor) = (Vec::with_capacity(count.min(MAX_BATCH)), after);
    loop {
        let rows = fetch(cursor, u32::try_from(batch).unwrap_or(u32::MAX)).await?;
        let fetched = rows.len();
        let Some(last) = rows.last().map(&key) else { break };
        cursor = last;
        for row in keep(rows).await? {
            out.push(row);
            if out.len() >= count {
                return Ok(out);
            }
        }
        if fetched < batch {
            break;
        }
    }
    Ok(out)
}
