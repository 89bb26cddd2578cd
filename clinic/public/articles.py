"""The educational articles: Markdown files with front matter, rendered once per process and sanitized.

The files live in clinic/public/articles/<slug>.md. Nothing is read at import time: the first call that
needs an article reads and renders every file, and later calls reuse that result until the process ends
(the articles ship with the code, so they only change on a deploy).
"""

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import frontmatter
import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin

ARTICLES_DIR = Path(__file__).resolve().parent.parent / "public" / "articles"
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG_LENGTH = 80
TOC_MIN_HEADINGS = 4  # a table of contents helps on long pages only
WORDS_PER_MINUTE = 200

# What Markdown may produce, and nothing more: no raw HTML, no images (nothing from another host),
# no inline styles, no event handlers, and links only to our own pages, https, mailto and tel.
ALLOWED_TAGS = {"h2", "h3", "h4", "p", "ul", "ol", "li", "a", "strong", "em", "code", "pre", "blockquote"}
ALLOWED_TAGS |= {"hr", "br", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "ol": {"start"}}
ALLOWED_SCHEMES = {"https", "mailto", "tel"}
SAFE_HREF = re.compile(r"(?:/(?!/)|#|https://|mailto:|tel:)", re.IGNORECASE)


class ArticleNotFound(LookupError):
    """No article has that slug."""


@dataclass(frozen=True, slots=True)
class Heading:
    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    title: str
    summary: str
    order: int
    html: str  # rendered and sanitized: safe to mark |safe in a template
    toc: tuple[Heading, ...]  # empty for short pages
    reading_minutes: int


@dataclass(frozen=True, slots=True)
class Library:
    articles: tuple[Article, ...]  # in reading order

    def get(self, slug: str) -> Article:
        for article in self.articles:
            if article.slug == slug:
                return article
        raise ArticleNotFound(slug)

    def next_after(self, article: Article) -> Article | None:
        index = self.articles.index(article)
        return self.articles[index + 1] if index + 1 < len(self.articles) else None


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.use(anchors_plugin, min_level=2, max_level=4)
    return md


def _inline_text(token: Token) -> str:
    return "".join(child.content for child in token.children or () if child.type in {"text", "code_inline"})


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Links must be site paths, #anchors, https, mailto or tel: anything odd-looking is dropped."""
    if attribute == "href" and not SAFE_HREF.match(value):
        return None
    return value


def sanitize(html: str) -> str:
    """Keep only the tags, attributes and link schemes an article needs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str) -> tuple[str, tuple[Heading, ...]]:
    """Render Markdown to sanitized HTML, with the page's level-2 headings for a table of contents."""
    md = _markdown()
    tokens = md.parse(text)
    headings = tuple(
        Heading(str(token.attrs["id"]), _inline_text(tokens[index + 1]))
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag == "h2" and "id" in token.attrs
    )
    html = md.renderer.render(tokens, md.options, {})
    return sanitize(html), headings


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _load(path: Path) -> Article:
    post = frontmatter.loads(_read(path))
    html, headings = render_markdown(post.content)
    words = len(re.findall(r"\w+", post.content))
    return Article(
        slug=path.stem,
        title=str(post["title"]),
        summary=str(post["summary"]),
        order=int(post.get("order", 100)),
        html=html,
        toc=headings if len(headings) >= TOC_MIN_HEADINGS else (),
        reading_minutes=max(1, round(words / WORDS_PER_MINUTE)),
    )


_libraries: dict[str, Library] = {}
_lock = threading.Lock()


def _path_for(english: Path, language: str) -> Path:
    """The article's file in that language (articles/<language>/<slug>.md) when it exists, else English."""
    if language != "en":
        translated = ARTICLES_DIR / language / english.name
        if translated.is_file():
            return translated
    return english


def library(language: str = "en") -> Library:
    """Every article in that language (English for any not yet translated), read once, then from memory."""
    found = _libraries.get(language)
    if found is None:
        with _lock:
            found = _libraries.get(language)
            if found is None:
                loaded = (_load(_path_for(path, language)) for path in sorted(ARTICLES_DIR.glob("*.md")))
                found = Library(tuple(sorted(loaded, key=lambda a: (a.order, a.slug))))
                _libraries[language] = found
    return found


def clear_cache() -> None:
    """Forget the rendered articles (tests, or a reload after editing the files)."""
    with _lock:
        _libraries.clear()


def all_articles(language: str = "en") -> tuple[Article, ...]:
    return library(language).articles


def article(slug: str, language: str = "en") -> Article:
    """The article with that slug; ArticleNotFound for unknown slugs and for anything that is not a slug."""
    if len(slug) > MAX_SLUG_LENGTH or not SLUG.fullmatch(slug):
        raise ArticleNotFound(slug)
    return library(language).get(slug)


def next_article(current: Article, language: str = "en") -> Article | None:
    return library(language).next_after(current)
