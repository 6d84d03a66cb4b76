//! "Did you mean ...?" for mistyped keywords and names.

/// Edit distance (insert, delete, substitute, transpose adjacent) between two short words,
/// case-insensitive. Words longer than 64 characters are never close.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    if a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    // Full matrix, (a.len()+1) x (b.len()+1), at most 65 x 65.
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    let at = |i: usize, j: usize| i * w + j;
    for i in 0..=a.len() {
        if let Some(x) = d.get_mut(at(i, 0)) {
            *x = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(x) = d.get_mut(at(0, j)) {
            *x = j;
        }
    }
    let get =
        |d: &Vec<usize>, i: usize, j: usize| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
    for (i, ca) in a.iter().enumerate() {
        for (j, cb) in b.iter().enumerate() {
            let (i1, j1) = (i + 1, j + 1);
            let cost = usize::from(ca != cb);
            let mut v = (get(&d, i, j1) + 1)
                .min(get(&d, i1, j) + 1)
                .min(get(&d, i, j) + cost);
            if i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) {
                v = v.min(get(&d, i - 1, j - 1) + 1);
            }
            if let Some(x) = d.get_mut(at(i1, j1)) {
                *x = v;
            }
        }
    }
    get(&d, a.len(), b.len())
}

/// The closest candidate within a distance that grows with the word's length, if any.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = match word.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    let mut best: Option<(&str, usize)> = None;
    for c in candidates {
        let d = distance(word, c);
        if d <= limit && best.is_none_or(|(_, bd)| d < bd) {
            best = Some((c, d));
        }
    }
    best.map(|(c, _)| c)
}

/// `; did you mean "X"?` or nothing.
pub(crate) fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match closest(word, candidates) {
        Some(c) => format!("; did you mean \"{c}\"?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("inspect", "inspect"), 0);
        assert_eq!(distance("inpsect", "inspect"), 1);
        assert_eq!(distance("INSPECT", "inspect"), 0);
        assert_eq!(distance("polcy-map", "policy-map"), 1);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            closest("inpsect", ["drop", "inspect", "pass"]),
            Some("inspect")
        );
        assert_eq!(closest("xyz", ["drop", "inspect", "pass"]), None);
        assert_eq!(hint("sipp", ["sip", "tcp"]), "; did you mean \"sip\"?");
    }
}
