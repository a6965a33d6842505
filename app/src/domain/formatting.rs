//! Formatting of operators' messages and notes (E2): bold, italic, strikethrough, quote and
//! code block, stored as a small markdown subset.
//!
//! The composer's toolbar and shortcuts edit the text (`apply`, shared with the browser).
//! On the server the text is parsed by `pulldown-cmark`; everything outside the subset
//! (headings, lists, links, images, raw HTML, ...) is kept as the literal text the operator
//! typed. The chat shows it as HTML that `ammonia` has cleaned down to a handful of tags
//! without attributes, and each messenger gets it in its own form: WhatsApp its own marks,
//! Telegram entities over plain text, every other channel plain text.

/// A formatting the toolbar offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Bold,
    Italic,
    Strike,
    Quote,
    Code,
}

impl Style {
    pub const ALL: [Style; 5] = [
        Style::Bold,
        Style::Italic,
        Style::Strike,
        Style::Quote,
        Style::Code,
    ];

    /// Translation key of the button's label.
    pub fn key(self) -> &'static str {
        match self {
            Style::Bold => "format.bold",
            Style::Italic => "format.italic",
            Style::Strike => "format.strike",
            Style::Quote => "format.quote",
            Style::Code => "format.code",
        }
    }

    /// The shortcut as `aria-keyshortcuts` writes it (Ctrl; ⌘ on macOS works too).
    pub fn shortcut(self) -> &'static str {
        match self {
            Style::Bold => "Control+B",
            Style::Italic => "Control+I",
            Style::Strike => "Control+Shift+X",
            Style::Quote => "Control+Shift+9",
            Style::Code => "Control+Alt+Shift+C",
        }
    }

    /// The style a key press asks for: Ctrl (or ⌘) with a physical key (`KeyboardEvent.code`,
    /// so a Russian layout works the same).
    pub fn for_key(code: &str, shift: bool, alt: bool) -> Option<Style> {
        match (code, shift, alt) {
            ("KeyB", false, false) => Some(Style::Bold),
            ("KeyI", false, false) => Some(Style::Italic),
            ("KeyX", true, false) => Some(Style::Strike),
            ("Digit9", true, false) => Some(Style::Quote),
            ("KeyC", true, true) => Some(Style::Code),
            _ => None,
        }
    }

    fn mark(self) -> &'static str {
        match self {
            Style::Bold => "**",
            Style::Italic => "_",
            Style::Strike => "~~",
            Style::Quote => "> ",
            Style::Code => "```",
        }
    }
}

/// The composer's text after a formatting, with the new selection. Positions count UTF-16
/// code units, as a text area's `selectionStart` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// Applies `style` to the selection `start..end` of `text`: wraps it in the style's marks,
/// or removes them when the selection is already wrapped (pressing Ctrl+B twice undoes).
/// Quote prefixes each selected line; code block fences the selected lines. An empty
/// selection gets empty marks with the caret between them.
pub fn apply(text: &str, start: usize, end: usize, style: Style) -> Edit {
    let (start, end) = (start.min(end), start.max(end));
    let a = byte_index(text, start);
    let b = byte_index(text, end);
    let (before, selected, after) = (&text[..a], &text[a..b], &text[b..]);
    match style {
        Style::Bold | Style::Italic | Style::Strike => {
            let mark = style.mark();
            if before.ends_with(mark) && after.starts_with(mark) {
                let before = &before[..before.len() - mark.len()];
                let after = &after[mark.len()..];
                return edit(before, selected, "", "", after);
            }
            if selected.len() >= 2 * mark.len()
                && selected.starts_with(mark)
                && selected.ends_with(mark)
            {
                let inner = &selected[mark.len()..selected.len() - mark.len()];
                return edit(before, inner, "", "", after);
            }
            edit(before, selected, mark, mark, after)
        }
        Style::Quote => {
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let (head, first) = before.split_at(line_start);
            let block = format!("{first}{selected}");
            let quoted = block.lines().all(|l| l.starts_with('>'));
            let changed: Vec<String> = block
                .split('\n')
                .map(|l| {
                    if quoted {
                        l.strip_prefix("> ")
                            .or_else(|| l.strip_prefix('>'))
                            .unwrap_or(l)
                            .to_owned()
                    } else {
                        format!("> {l}")
                    }
                })
                .collect();
            let changed = changed.join("\n");
            let text = format!("{head}{changed}{after}");
            let start = utf16_len(head);
            Edit {
                end: start + utf16_len(&changed),
                start,
                text,
            }
        }
        Style::Code => {
            let lead = if before.is_empty() || before.ends_with('\n') {
                ""
            } else {
                "\n"
            };
            let tail = if after.is_empty() || after.starts_with('\n') {
                ""
            } else {
                "\n"
            };
            let open = format!("{lead}```\n");
            let close = format!("\n```{tail}");
            edit(before, selected, &open, &close, after)
        }
    }
}

fn edit(before: &str, selected: &str, open: &str, close: &str, after: &str) -> Edit {
    let start = utf16_len(before) + utf16_len(open);
    Edit {
        text: format!("{before}{open}{selected}{close}{after}"),
        start,
        end: start + utf16_len(selected),
    }
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The byte index of a UTF-16 position, clamped to the text and to a character boundary.
fn byte_index(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// Whether a text may carry any formatting at all. Text without these characters is shown
/// and sent exactly as written, without parsing.
pub fn may_be_formatted(text: &str) -> bool {
    text.contains(['*', '_', '~', '`', '>'])
}

#[cfg(feature = "ssr")]
pub use render::{TelegramEntity, html, plain, telegram, whatsapp};

/// The text a messenger is sent for a stored body: WhatsApp's own marks; Telegram, API
/// channels and the internal channel the stored text (Telegram's adapter turns it into
/// entities, an API channel's integration gets the markdown); every other one plain text.
#[cfg(feature = "ssr")]
pub fn for_channel(kind: crate::domain::ChannelKind, text: &str) -> String {
    use crate::domain::ChannelKind;
    match kind {
        ChannelKind::Whatsapp => whatsapp(text),
        ChannelKind::Telegram | ChannelKind::Webhook | ChannelKind::Internal => text.to_owned(),
        _ => plain(text),
    }
}

#[cfg(feature = "ssr")]
mod render {
    use std::ops::Range;

    use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

    use super::may_be_formatted;

    /// One step of a parsed text, inside the subset.
    #[derive(Debug, Clone, PartialEq)]
    enum Piece {
        Open(Mark),
        Close(Mark),
        Text(String),
        Break,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Mark {
        Paragraph,
        Quote,
        CodeBlock,
        Bold,
        Italic,
        Strike,
        Code,
    }

    /// Parses `text` and keeps the subset; anything else becomes the text that was typed.
    fn pieces(text: &str) -> Vec<Piece> {
        let mut out = Vec::new();
        let mut skip: Option<usize> = None;
        let mut in_paragraph = 0usize;
        for (event, range) in
            Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH).into_offset_iter()
        {
            if let Some(depth) = skip.as_mut() {
                match event {
                    Event::Start(_) => *depth += 1,
                    Event::End(_) => *depth -= 1,
                    _ => {}
                }
                if *depth == 0 {
                    skip = None;
                }
                continue;
            }
            match event {
                Event::Start(tag) => match allowed(&tag) {
                    Some(mark) => {
                        if mark == Mark::Paragraph {
                            in_paragraph += 1;
                        }
                        out.push(Piece::Open(mark));
                    }
                    None => {
                        literal(&mut out, text, range, in_paragraph > 0);
                        skip = Some(1);
                    }
                },
                Event::End(end) => {
                    if let Some(mark) = closing(end) {
                        if mark == Mark::Paragraph {
                            in_paragraph = in_paragraph.saturating_sub(1);
                        }
                        out.push(Piece::Close(mark));
                    }
                }
                Event::Text(t) => out.push(Piece::Text(t.into_string())),
                Event::Code(t) => {
                    out.push(Piece::Open(Mark::Code));
                    out.push(Piece::Text(t.into_string()));
                    out.push(Piece::Close(Mark::Code));
                }
                Event::SoftBreak | Event::HardBreak => out.push(Piece::Break),
                // Raw HTML, rules, footnote marks, math: what was typed, as text.
                _ => literal(&mut out, text, range, in_paragraph > 0),
            }
        }
        out
    }

    fn allowed(tag: &Tag) -> Option<Mark> {
        Some(match tag {
            Tag::Paragraph => Mark::Paragraph,
            Tag::BlockQuote(_) => Mark::Quote,
            Tag::CodeBlock(CodeBlockKind::Fenced(_)) => Mark::CodeBlock,
            Tag::Strong => Mark::Bold,
            Tag::Emphasis => Mark::Italic,
            Tag::Strikethrough => Mark::Strike,
            _ => return None,
        })
    }

    fn closing(end: TagEnd) -> Option<Mark> {
        Some(match end {
            TagEnd::Paragraph => Mark::Paragraph,
            TagEnd::BlockQuote(_) => Mark::Quote,
            TagEnd::CodeBlock => Mark::CodeBlock,
            TagEnd::Strong => Mark::Bold,
            TagEnd::Emphasis => Mark::Italic,
            TagEnd::Strikethrough => Mark::Strike,
            _ => return None,
        })
    }

    /// The source of `range` as text: inline inside a paragraph, else a paragraph of its own.
    fn literal(out: &mut Vec<Piece>, text: &str, range: Range<usize>, inline: bool) {
        let source = text.get(range).unwrap_or_default().trim_end_matches('\n');
        if !inline {
            out.push(Piece::Open(Mark::Paragraph));
        }
        for (i, line) in source.split('\n').enumerate() {
            if i > 0 {
                out.push(Piece::Break);
            }
            out.push(Piece::Text(line.to_owned()));
        }
        if !inline {
            out.push(Piece::Close(Mark::Paragraph));
        }
    }

    /// The text as HTML for the chat, or None when it has no formatting (the chat then
    /// shows the text itself). Only `p br strong em del blockquote pre code` survive, with
    /// no attributes.
    pub fn html(text: &str) -> Option<String> {
        if !may_be_formatted(text) {
            return None;
        }
        let mut events = Vec::new();
        let mut in_code = false;
        for piece in pieces(text) {
            events.push(match piece {
                // Inline code is one event with its text.
                Piece::Open(Mark::Code) => {
                    in_code = true;
                    continue;
                }
                Piece::Close(Mark::Code) => {
                    in_code = false;
                    continue;
                }
                Piece::Text(t) if in_code => Event::Code(CowStr::from(t)),
                Piece::Open(m) => Event::Start(tag(m)),
                Piece::Close(m) => Event::End(tag(m).to_end()),
                Piece::Text(t) => Event::Text(CowStr::from(t)),
                Piece::Break => Event::HardBreak,
            });
        }
        let mut raw = String::with_capacity(text.len() * 2);
        pulldown_cmark::html::push_html(&mut raw, events.into_iter());
        let clean = ammonia::Builder::empty()
            .add_tags([
                "p",
                "br",
                "strong",
                "em",
                "del",
                "blockquote",
                "pre",
                "code",
            ])
            .clean(&raw)
            .to_string();
        Some(clean)
    }

    fn tag(mark: Mark) -> Tag<'static> {
        match mark {
            Mark::Paragraph => Tag::Paragraph,
            Mark::Quote => Tag::BlockQuote(None),
            Mark::CodeBlock => Tag::CodeBlock(CodeBlockKind::Fenced(CowStr::Borrowed(""))),
            Mark::Bold => Tag::Strong,
            Mark::Italic => Tag::Emphasis,
            Mark::Strike => Tag::Strikethrough,
            // Inline code is an event of its own (`html` writes it as one); never a tag.
            Mark::Code => Tag::Strikethrough,
        }
    }

    /// Writes pieces as text, with `marks` deciding what each formatting leaves in it.
    /// Blocks are separated by a blank line, quoted lines start with "> ".
    fn write(text: &str, marks: impl Fn(Mark, bool) -> &'static str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut quote = 0usize;
        let mut started = false;
        for piece in pieces(text) {
            match piece {
                Piece::Open(m @ (Mark::Paragraph | Mark::CodeBlock)) => {
                    if started {
                        out.push_str("\n\n");
                        push_quote(&mut out, quote);
                    }
                    started = true;
                    out.push_str(marks(m, true));
                }
                Piece::Open(Mark::Quote) => {
                    if started {
                        out.push_str("\n\n");
                        push_quote(&mut out, quote);
                        started = false;
                    }
                    quote += 1;
                    out.push_str("> ");
                }
                Piece::Close(Mark::Quote) => quote = quote.saturating_sub(1),
                Piece::Open(m) => out.push_str(marks(m, true)),
                Piece::Close(m) => out.push_str(marks(m, false)),
                Piece::Text(t) => {
                    for (i, line) in t.split('\n').enumerate() {
                        if i > 0 {
                            out.push('\n');
                            push_quote(&mut out, quote);
                        }
                        out.push_str(line);
                    }
                }
                Piece::Break => {
                    out.push('\n');
                    push_quote(&mut out, quote);
                }
            }
        }
        out.trim_end().to_owned()
    }

    fn push_quote(out: &mut String, depth: usize) {
        for _ in 0..depth {
            out.push_str("> ");
        }
    }

    /// The text without formatting marks, for messengers and emails that show plain text.
    pub fn plain(text: &str) -> String {
        if !may_be_formatted(text) {
            return text.to_owned();
        }
        write(text, |_, _| "")
    }

    /// The text in WhatsApp's own marks: *bold*, _italic_, ~strike~, `code`, ```block```.
    pub fn whatsapp(text: &str) -> String {
        if !may_be_formatted(text) {
            return text.to_owned();
        }
        write(text, |m, open| match (m, open) {
            (Mark::Bold, _) => "*",
            (Mark::Italic, _) => "_",
            (Mark::Strike, _) => "~",
            (Mark::Code, _) => "`",
            (Mark::CodeBlock, true) => "```\n",
            (Mark::CodeBlock, false) => "\n```",
            _ => "",
        })
    }

    /// A Telegram message entity: a formatting over a range of the plain text, in UTF-16
    /// code units as the Bot API counts them.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct TelegramEntity {
        #[serde(rename = "type")]
        pub kind: &'static str,
        pub offset: usize,
        pub length: usize,
    }

    /// The text for Telegram: plain text with the formatting as entities.
    pub fn telegram(text: &str) -> (String, Vec<TelegramEntity>) {
        if !may_be_formatted(text) {
            return (text.to_owned(), Vec::new());
        }
        let mut out = String::with_capacity(text.len());
        let mut units = 0usize;
        let mut open: Vec<(Mark, usize)> = Vec::new();
        let mut entities = Vec::new();
        let mut started = false;
        let push = |out: &mut String, units: &mut usize, s: &str| {
            out.push_str(s);
            *units += s.encode_utf16().count();
        };
        for piece in pieces(text) {
            match piece {
                Piece::Open(m) => {
                    if matches!(m, Mark::Paragraph | Mark::CodeBlock | Mark::Quote) {
                        if started && !out.ends_with("\n\n") {
                            push(&mut out, &mut units, "\n\n");
                        }
                        started = true;
                    }
                    open.push((m, units));
                }
                Piece::Close(m) => {
                    if let Some(i) = open.iter().rposition(|(o, _)| *o == m) {
                        let (_, from) = open.remove(i);
                        let kind = match m {
                            Mark::Bold => "bold",
                            Mark::Italic => "italic",
                            Mark::Strike => "strikethrough",
                            Mark::Code => "code",
                            Mark::CodeBlock => "pre",
                            Mark::Quote => "blockquote",
                            Mark::Paragraph => continue,
                        };
                        if units > from {
                            entities.push(TelegramEntity {
                                kind,
                                offset: from,
                                length: units - from,
                            });
                        }
                    }
                }
                Piece::Text(t) => push(&mut out, &mut units, &t),
                Piece::Break => push(&mut out, &mut units, "\n"),
            }
        }
        // Trailing newlines out, and any entity that reached into them shortened.
        let kept = out.trim_end().encode_utf16().count();
        out.truncate(out.trim_end().len());
        entities.retain_mut(|e| {
            e.length = e.length.min(kept.saturating_sub(e.offset));
            e.length > 0
        });
        entities.sort_by_key(|e| (e.offset, std::cmp::Reverse(e.length)));
        (out, entities)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_wraps_the_selection_and_keeps_it_selected() {
        let e = apply("say hello now", 4, 9, Style::Bold);
        assert_eq!(e.text, "say **hello** now");
        assert_eq!(&e.text[e.start..e.end], "hello");
    }

    #[test]
    fn applying_twice_undoes() {
        let once = apply("say hello now", 4, 9, Style::Italic);
        let twice = apply(&once.text, once.start, once.end, Style::Italic);
        assert_eq!(twice.text, "say hello now");
        assert_eq!((twice.start, twice.end), (4, 9));
        // Selecting the marks too undoes as well.
        let e = apply("~~gone~~", 0, 8, Style::Strike);
        assert_eq!(e.text, "gone");
    }

    #[test]
    fn an_empty_selection_puts_the_caret_between_the_marks() {
        let e = apply("hi ", 3, 3, Style::Bold);
        assert_eq!(e.text, "hi ****");
        assert_eq!((e.start, e.end), (5, 5));
    }

    #[test]
    fn positions_count_utf16_units() {
        // "👍" is two UTF-16 units; "Привет" six.
        let text = "👍 Привет мир";
        let e = apply(text, 3, 9, Style::Bold);
        assert_eq!(e.text, "👍 **Привет** мир");
        assert_eq!((e.start, e.end), (5, 11));
        // Out-of-range positions are clamped, not a panic.
        let e = apply("abc", 10, 99, Style::Bold);
        assert_eq!(e.text, "abc****");
    }

    #[test]
    fn quote_prefixes_every_selected_line_and_toggles() {
        let e = apply("first\nsecond\nthird", 2, 9, Style::Quote);
        assert_eq!(e.text, "> first\n> second\nthird");
        let back = apply(&e.text, e.start, e.end, Style::Quote);
        assert_eq!(back.text, "first\nsecond\nthird");
    }

    #[test]
    fn code_block_fences_on_lines_of_their_own() {
        let e = apply("run cargo test please", 4, 14, Style::Code);
        assert_eq!(e.text, "run \n```\ncargo test\n```\n please");
        assert_eq!(
            e.text
                .encode_utf16()
                .skip(e.start)
                .take(e.end - e.start)
                .collect::<Vec<_>>(),
            "cargo test".encode_utf16().collect::<Vec<_>>()
        );
    }

    #[test]
    fn shortcuts_follow_physical_keys() {
        assert_eq!(Style::for_key("KeyB", false, false), Some(Style::Bold));
        assert_eq!(Style::for_key("KeyX", true, false), Some(Style::Strike));
        assert_eq!(Style::for_key("KeyX", false, false), None);
        assert_eq!(Style::for_key("KeyC", true, true), Some(Style::Code));
    }

    #[cfg(feature = "ssr")]
    mod server {
        use super::super::*;

        #[test]
        fn the_subset_renders_as_html() {
            assert_eq!(
                html("**bold** _it_ ~~gone~~ `x`").as_deref(),
                Some("<p><strong>bold</strong> <em>it</em> <del>gone</del> <code>x</code></p>\n")
            );
            let quote = html("> quoted\n> lines").unwrap_or_default();
            assert!(quote.contains("<blockquote>"), "{quote}");
            assert!(quote.contains("quoted<br>"), "{quote}");
            let code = html("```\nlet a = 1 < 2;\n```").unwrap_or_default();
            assert!(
                code.contains("<pre><code>let a = 1 &lt; 2;\n</code></pre>"),
                "{code}"
            );
        }

        #[test]
        fn plain_text_is_not_parsed() {
            assert_eq!(html("Hello!\nHow are you?"), None);
            assert_eq!(plain("1. one\n2. two"), "1. one\n2. two");
            assert_eq!(telegram("Hi <b>").0, "Hi <b>");
        }

        #[test]
        fn nothing_outside_the_subset_becomes_markup() {
            let corpus = [
                "<script>alert(1)</script> *x*",
                "<img src=x onerror=alert(1)> _y_",
                "[click](javascript:alert(1)) **z**",
                "![a](http://evil/x.png) **z**",
                "<a href=\"javascript:alert(1)\">a</a> `c`",
                "**<svg onload=alert(1)>**",
                "> <iframe src=//evil></iframe>",
                "```\n</code></pre><script>alert(1)</script>\n```",
                "# heading *x*",
                "<details open ontoggle=alert(1)>*x*",
                "_<style>body{display:none}</style>_",
            ];
            const ALLOWED: [&str; 8] = [
                "p",
                "br",
                "strong",
                "em",
                "del",
                "blockquote",
                "pre",
                "code",
            ];
            for text in corpus {
                let out = html(text).unwrap_or_default();
                // Every tag is one of the subset's, bare: no attributes at all.
                for tag in out.split('<').skip(1) {
                    let inside = tag.split('>').next().unwrap_or_default();
                    let name = inside.trim_start_matches('/');
                    assert!(ALLOWED.contains(&name), "{text:?} gave {out:?}");
                }
                // What was typed stays readable as text.
                assert!(!out.is_empty(), "{text:?}");
            }
            // A link stays as the text typed, its address visible.
            assert_eq!(
                html("see [here](javascript:alert(1)) **now**").as_deref(),
                Some("<p>see [here](javascript:alert(1)) <strong>now</strong></p>\n")
            );
            // A heading is its source text.
            assert_eq!(html("# big _x_").as_deref(), Some("<p># big _x_</p>\n"));
        }

        #[test]
        fn messengers_get_their_own_forms() {
            let text = "**Order** _shipped_ ~~late~~\n> thanks";
            assert_eq!(plain(text), "Order shipped late\n\n> thanks");
            assert_eq!(whatsapp(text), "*Order* _shipped_ ~late~\n\n> thanks");
            let (t, entities) = telegram("👍 **Привет** мир");
            assert_eq!(t, "👍 Привет мир");
            assert_eq!(
                entities,
                vec![TelegramEntity {
                    kind: "bold",
                    offset: 3,
                    length: 6
                }]
            );
            let (t, entities) = telegram("```\ncode\n```");
            assert_eq!(t, "code");
            assert_eq!(
                entities,
                vec![TelegramEntity {
                    kind: "pre",
                    offset: 0,
                    length: 4
                }]
            );
        }
    }
}
