//! The inbox at scale (C1–C5), without HTTP: the store functions the inbox calls, timed on a
//! generated account of a large shop (a million dialogs and ten million messages, 200
//! operators on 20 lines, 500 tags, one dialog of 20,000 messages) next to a small second
//! account. For an admin, who sees everything, and for an operator with rights on a few
//! lines, it times the first page of the list through twenty filters, pages 10,000 and
//! 100,000 rows deep, the section counters and opening the long dialog; prints p50/p95/p99
//! against the goals, the database's size by table and index, and the plans of the first
//! pages and counters that miss their goal.
//!
//! Run: `cargo bench -p server --bench inbox`
//! Settings (environment): BENCH_SCALE (1.0: a million dialogs; 0.01 for a quick run),
//! BENCH_REPEAT (30 timed calls a row, after a warm-up), BENCH_KEEP (set: keep the database,
//! whose name is printed), BENCH_REUSE (the name of a kept database: measure it again
//! without generating). At scale 1 the database takes 6 GB and about five minutes to
//! generate on two cores.

use std::collections::{HashSet, VecDeque};
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context as _;
use app::auth::Access;
use app::domain::filter::DialogFilter;
use app::domain::lifecycle::SystemEvent;
use app::domain::message::snippet;
use app::domain::{AccountId, DialogId, ListCursor, Locale, UserId};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use fastrand::Rng;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgCopyIn, PgPoolCopyExt, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgPool, Postgres, QueryBuilder};

#[allow(dead_code)] // the helpers other benchmarks use
mod common;
use common::setting;

const BIG_ACCOUNT: &str = "Bench shop";
const SMALL_ACCOUNT: &str = "Bench studio";
/// The one dialog of `LONG_MESSAGES` messages, found again by its title.
const LONG_TITLE: &str = "Wholesale client: standing orders";
const LONG_MESSAGES: usize = 20_000;
/// Dialogs generated and written together; their messages are interleaved by time.
const CHUNK: usize = 2_000;
const COPY_BUFFER: usize = 1 << 20;
const WARM_UP: usize = 3;
/// The measured users sit in Moscow.
const TZ_OFFSET_MINUTES: i32 = 180;
const PAGE: i64 = 50;
/// How many of the slowest first pages and counters that miss their goal get their plans
/// printed, and the shortest statement whose plan is shown.
const MAX_PLANS: usize = 10;
const PLAN_MIN_MS: u32 = 2;

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

const GOAL_PAGE: f64 = 15.0;
const GOAL_COUNTERS: f64 = 20.0;
const GOAL_SEARCH: f64 = 100.0;
const GOAL_OPEN: f64 = 50.0;

/// The tables the generator fills in bulk: their secondary indexes are dropped during the
/// load and built again afterwards, which is many times faster than keeping them current.
const BULK_TABLES: [&str; 7] = [
    "clients",
    "client_tags",
    "dialogs",
    "dialog_tags",
    "dialog_participants",
    "dialog_user_state",
    "messages",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    capture_notices()?;
    if let Ok(name) = std::env::var("BENCH_REUSE") {
        anyhow::ensure!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "BENCH_REUSE must name a database (letters, digits, _)"
        );
        println!("# Inbox at scale: measuring the database {name} again\n");
        return measure(&common::database_url(&name)).await;
    }
    let scale = common::setting_f64("BENCH_SCALE", 1.0).clamp(0.0001, 10.0);
    common::in_scratch_database(|db_url| async move {
        println!("# Inbox at scale (BENCH_SCALE={scale})\n");
        generate(&db_url, scale).await?;
        measure(&db_url).await
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Words the generated messages, names and tags are made of.

/// Russian words of a shop's chats, most frequent first (drawn Zipf-like, so searches for
/// them match from most messages down to a few). Several forms of one word are here on
/// purpose: search stems them.
const RUSSIAN: &str = "здравствуйте заказ спасибо доставка пожалуйста когда можно оплата товар \
    номер подскажите добрый день вопрос заказа сегодня завтра курьер адрес время хорошо уже \
    ещё размер цена возврат картой деньги чек магазин пункт выдачи получить отправить \
    отправили получил получила сколько стоит наличии нужно хочу могу можете сделать оформить \
    оформила отменить отмена заказы заказом доставки доставкой доставку оплаты оплатить \
    оплатил товара товары товаром скидка скидку промокод акция бонусы баллы телефон почта \
    письмо ответ ответьте жду ждём долго быстро срочно неделю месяц часа минут утром вечером \
    понедельник пятницу субботу гарантия гарантии брак сломан сломался работает коробка \
    упаковка цвет чёрный белый синий красный зелёный модель размера большой маленький обмен \
    обменять вернуть вернули возврата претензия жалоба менеджер оператор помогите помощь \
    проблема ошибка сайт приложение личный кабинет пароль войти аккаунт регистрация трек \
    отслеживание посылка посылку склад склада город москва петербург казань новосибирск \
    екатеринбург улица дом квартира подъезд этаж самовывоз счёт реквизиты договор юрлицо \
    накладная документы сертификат инструкция подарок подарочный курьера позвоните \
    перезвоните звонок удобно отлично прекрасно ужасно плохо качество качеством доволен \
    довольна рекомендую отзыв оценка ёлка ёлочные игрушки пакет курьерская служба вторник \
    среду четверг воскресенье праздники новогодний распродажа предзаказ поступление артикул \
    комплект комплектация зарядка кабель наушники чехол телефона ноутбук планшет \
    холодильник стиральная машина пылесос кофемашина диван кресло матрас подушка одеяло \
    платье куртка кроссовки ботинки шапка перчатки рюкзак сумка кошелёк часы браслет кольцо \
    серьги духи крем шампунь витамины корм лоток домофон";

/// English words, for the share of chats held in English.
const ENGLISH: &str = "hello order thanks delivery please when payment refund item tracking \
    number shipping package address invoice discount coupon return exchange size color price \
    available stock warranty broken damaged courier pickup tomorrow today week account \
    password login support manager urgent problem issue cancel cancelled confirm confirmed \
    receipt card cash transfer bank wholesale retail catalogue product products shipment \
    shipped delivered arrived missing wrong replace replacement quality feedback review great \
    terrible slow fast quickly asap waiting hours days friday monday weekend holiday gift \
    voucher subscription charger cable headphones laptop tablet fridge sofa mattress jacket \
    sneakers backpack perfume vitamins";

const MALE: [&str; 16] = [
    "Александр",
    "Алексей",
    "Дмитрий",
    "Сергей",
    "Андрей",
    "Михаил",
    "Иван",
    "Николай",
    "Павел",
    "Артём",
    "Максим",
    "Владимир",
    "Егор",
    "Роман",
    "Олег",
    "Игорь",
];
const FEMALE: [&str; 16] = [
    "Анна",
    "Елена",
    "Мария",
    "Ольга",
    "Наталья",
    "Ирина",
    "Татьяна",
    "Екатерина",
    "Светлана",
    "Юлия",
    "Анастасия",
    "Дарья",
    "Полина",
    "Ксения",
    "Виктория",
    "Алина",
];
/// Surnames with their Latin spelling (for email addresses and usernames).
const SURNAMES: [(&str, &str); 24] = [
    ("Иванов", "ivanov"),
    ("Смирнов", "smirnov"),
    ("Кузнецов", "kuznetsov"),
    ("Попов", "popov"),
    ("Васильев", "vasiliev"),
    ("Петров", "petrov"),
    ("Соколов", "sokolov"),
    ("Михайлов", "mikhailov"),
    ("Новиков", "novikov"),
    ("Фёдоров", "fedorov"),
    ("Морозов", "morozov"),
    ("Волков", "volkov"),
    ("Алексеев", "alekseev"),
    ("Лебедев", "lebedev"),
    ("Семёнов", "semenov"),
    ("Егоров", "egorov"),
    ("Павлов", "pavlov"),
    ("Козлов", "kozlov"),
    ("Степанов", "stepanov"),
    ("Николаев", "nikolaev"),
    ("Орлов", "orlov"),
    ("Андреев", "andreev"),
    ("Макаров", "makarov"),
    ("Никитин", "nikitin"),
];
const ENGLISH_FIRST: [&str; 10] = [
    "John", "Mary", "David", "Emma", "Olivia", "James", "Sophia", "Michael", "Emily", "Daniel",
];
const ENGLISH_LAST: [&str; 10] = [
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts",
    "Walker",
];
const MAIL_DOMAINS: [&str; 5] = ["mail.ru", "yandex.ru", "gmail.com", "example.com", "bk.ru"];
const LINE_NAMES: [&str; 20] = [
    "Розница Москва",
    "Розница Петербург",
    "Опт",
    "Маркетплейсы",
    "Поддержка",
    "Доставка",
    "Возвраты",
    "B2B",
    "Сервисный центр",
    "VIP",
    "Регионы",
    "Казань",
    "Новосибирск",
    "Екатеринбург",
    "Интернет-магазин",
    "Подарочные карты",
    "Рассрочка",
    "Франчайзи",
    "Партнёры",
    "Вакансии",
];
const TAG_NAMES: [&str; 24] = [
    "VIP",
    "Опт",
    "Жалоба",
    "Возврат",
    "Доставка",
    "Брак",
    "Повторный",
    "Юрлицо",
    "Срочно",
    "Отзыв",
    "Гарантия",
    "Обмен",
    "Рассрочка",
    "Предзаказ",
    "Маркетплейс",
    "Спам",
    "Новый клиент",
    "Потерян",
    "Оплата",
    "Промокод",
    "Lead",
    "Refund",
    "Wholesale",
    "Feedback",
];
/// Kinds of the channels, two to a line in this order; weights say how much each carries.
const CHANNEL_KINDS: [(&str, u32); 20] = [
    ("telegram", 5),
    ("whatsapp", 4),
    ("email", 3),
    ("telegram", 5),
    ("whatsapp", 4),
    ("vk", 2),
    ("telegram", 5),
    ("whatsapp", 4),
    ("email", 3),
    ("viber", 1),
    ("telegram", 5),
    ("instagram", 1),
    ("whatsapp", 4),
    ("ozon", 1),
    ("telegram", 5),
    ("wildberries", 1),
    ("email", 3),
    ("facebook", 1),
    ("whatsapp", 4),
    ("vk", 2),
];
/// A phone number a few messages carry, so a search for it has a handful of hits.
const NEEDLE_PHONE: &str = "+7 916 555-01-23";

/// The queries search is measured with: from
/// words most messages contain to words none does, word forms, numbers, addresses, names,
/// and text that looks like query syntax but must be read as plain words.
fn search_queries() -> Vec<&'static str> {
    vec![
        "заказ",
        "доставка",
        "доставкой",
        "претензия",
        "домофон",
        "refund",
        "order",
        "9165550123",
        NEEDLE_PHONE,
        "555-01",
        "smirnov",
        "@mail.ru",
        "Смирн",
        "\"оплата картой\"",
        "100%",
        "заказ & !доставка | refund",
        "order:* <-> 1",
        "ёлка",
        "возврат денег",
        "зюзюблик",
    ]
}

/// Draws ranks 0..n with probability ∝ 1/(rank+1)^s.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut total = 0.0;
        let cumulative = (0..n.max(1))
            .map(|r| {
                total += 1.0 / ((r + 1) as f64).powf(s);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.f64() * total;
        self.cumulative
            .partition_point(|&c| c < x)
            .min(self.cumulative.len() - 1)
    }
}

struct Vocabulary {
    russian: Vec<&'static str>,
    english: Vec<&'static str>,
    russian_ranks: Zipf,
    english_ranks: Zipf,
}

impl Vocabulary {
    fn new() -> Vocabulary {
        let russian: Vec<&str> = RUSSIAN.split_whitespace().collect();
        let english: Vec<&str> = ENGLISH.split_whitespace().collect();
        Vocabulary {
            russian_ranks: Zipf::new(russian.len(), 1.05),
            english_ranks: Zipf::new(english.len(), 1.05),
            russian,
            english,
        }
    }

    /// A chat message: a few to a few dozen words, now and then a phone, an address or an
    /// order number.
    fn message(&self, rng: &mut Rng) -> String {
        let russian = rng.f64() < 0.78;
        let words = 2 + (rng.f64() * rng.f64() * 24.0) as usize + rng.usize(0..4);
        let mut out = String::with_capacity(words * 9);
        for i in 0..words {
            if i > 0 {
                out.push(' ');
            }
            let word = if russian {
                self.russian[self.russian_ranks.sample(rng)]
            } else {
                self.english[self.english_ranks.sample(rng)]
            };
            if i == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(chars.as_str());
                }
            } else {
                out.push_str(word);
            }
        }
        let roll = rng.f64();
        if roll < 0.05 {
            let number = rng.u32(100_000..200_000);
            if russian {
                out.push_str(&format!(", заказ № {number}"));
            } else {
                out.push_str(&format!(", order #{number}"));
            }
        } else if roll < 0.07 {
            out.push_str(&format!(
                " +7 9{:02} {:03}-{:02}-{:02}",
                rng.u32(0..100),
                rng.u32(0..1000),
                rng.u32(0..100),
                rng.u32(0..100)
            ));
        } else if roll < 0.085 {
            let (_, latin) = SURNAMES[rng.usize(0..SURNAMES.len())];
            let domain = MAIL_DOMAINS[rng.usize(0..MAIL_DOMAINS.len())];
            out.push_str(&format!(" {latin}{}@{domain}", rng.u32(1..100)));
        } else if roll < 0.08502 {
            out.push(' ');
            out.push_str(NEEDLE_PHONE);
        } else if roll < 0.09 {
            out.push_str(" скидка 100% на доставку");
        }
        out.push(match rng.u8(0..6) {
            0 | 1 => '?',
            2 => '!',
            _ => '.',
        });
        out
    }
}

/// A person's name, with a Latin word for their address (to be lowercased).
fn person(rng: &mut Rng) -> (String, &'static str) {
    let (surname, latin) = SURNAMES[rng.usize(0..SURNAMES.len())];
    match rng.u8(0..20) {
        0..=8 => (
            format!("{} {surname}", MALE[rng.usize(0..MALE.len())]),
            latin,
        ),
        9..=17 => (
            format!("{} {surname}а", FEMALE[rng.usize(0..FEMALE.len())]),
            latin,
        ),
        _ => {
            let last = ENGLISH_LAST[rng.usize(0..ENGLISH_LAST.len())];
            (
                format!(
                    "{} {last}",
                    ENGLISH_FIRST[rng.usize(0..ENGLISH_FIRST.len())]
                ),
                last,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------
// COPY streams.

/// One `COPY … FROM STDIN` in text format, fed row by row and sent a megabyte at a time.
struct Copy {
    table: &'static str,
    stream: PgCopyIn<PoolConnection<Postgres>>,
    buf: Vec<u8>,
    row_start: bool,
}

impl Copy {
    async fn open(loader: &PgPool, table: &'static str, columns: &str) -> anyhow::Result<Copy> {
        let statement = format!("COPY {table} ({columns}) FROM STDIN");
        let stream = loader
            .copy_in_raw(&statement)
            .await
            .with_context(|| format!("starting COPY into {table}"))?;
        Ok(Copy {
            table,
            stream,
            buf: Vec::with_capacity(COPY_BUFFER + 64 * 1024),
            row_start: true,
        })
    }

    fn sep(&mut self) {
        if !self.row_start {
            self.buf.push(b'\t');
        }
        self.row_start = false;
    }

    fn int(&mut self, v: i64) -> &mut Self {
        self.sep();
        let _ = write!(self.buf, "{v}");
        self
    }

    fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(b"\\N");
        self
    }

    fn boolean(&mut self, v: bool) -> &mut Self {
        self.sep();
        self.buf.push(if v { b't' } else { b'f' });
        self
    }

    fn text(&mut self, v: &str) -> &mut Self {
        self.sep();
        for &b in v.as_bytes() {
            match b {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                _ => self.buf.push(b),
            }
        }
        self
    }

    fn opt_text(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    /// A timestamptz from microseconds since the epoch.
    fn time(&mut self, micros: i64) -> &mut Self {
        self.sep();
        let t = DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or_default();
        let _ = write!(
            self.buf,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.timestamp_subsec_micros()
        );
        self
    }

    fn opt_time(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.time(v),
            None => self.null(),
        }
    }

    fn end(&mut self) {
        self.buf.push(b'\n');
        self.row_start = true;
    }

    async fn flush(&mut self, force: bool) -> anyhow::Result<()> {
        if self.buf.len() >= COPY_BUFFER || (force && !self.buf.is_empty()) {
            self.stream
                .send(self.buf.as_slice())
                .await
                .with_context(|| format!("sending rows of {}", self.table))?;
            self.buf.clear();
        }
        Ok(())
    }

    async fn finish(mut self) -> anyhow::Result<u64> {
        self.flush(true).await?;
        self.stream
            .finish()
            .await
            .with_context(|| format!("finishing COPY into {}", self.table))
    }
}

// ---------------------------------------------------------------------------------------
// The generator.

/// What one account is made of.
struct Plan {
    name: &'static str,
    /// Tells the accounts' users apart (emails are unique across accounts).
    key: u32,
    dialogs: usize,
    operators: usize,
    groups: usize,
    lines: usize,
    tags: usize,
    long_dialog: bool,
}

struct Channel {
    id: i64,
    line: usize,
    weight: u32,
}

/// The account's people, lines, channels and tags, as stored.
struct Setup {
    account: i64,
    admin: i64,
    /// Operators' ids and names; the first one is the measured operator.
    operators: Vec<(i64, String)>,
    groups: Vec<i64>,
    lines: Vec<i64>,
    /// The operators (indexes) who work each line.
    line_operators: Vec<Vec<usize>>,
    /// The lines (indexes) the measured operator has rights on.
    measured_lines: Vec<usize>,
    channels: Vec<Channel>,
    line_channels: Vec<Vec<usize>>,
    tags: Vec<i64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    New,
    Returned,
    InWork,
    Closed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Returned => "returned",
            Status::InWork => "in_work",
            Status::Closed => "closed",
        }
    }
}

/// A dialog before its messages are made: all that is kept of it in memory.
#[derive(Clone, Copy)]
struct Head {
    created: i64,
    /// The last message's time (system messages aside).
    last: i64,
    seed: u64,
    client: u32,
    /// Messages, system messages aside.
    messages: u16,
    channel: u16,
    /// Operator index + 1; 0 for nobody.
    assignee: u16,
    /// Group index + 1 the dialog waits for; 0 for none.
    queue: u8,
    status: Status,
    long: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    In,
    Out,
    Note,
    Accepted,
    Returned,
    Closed,
}

/// A message before its id is known.
struct Made {
    at: i64,
    local: u32,
    seq: u32,
    item: Item,
    author: Option<i64>,
    body: String,
    system: Option<String>,
    important: bool,
}

/// The long dialog's messages carry this instead of a position in the chunk.
const LONG: u32 = u32::MAX;

/// What a dialog's row needs from its messages, gathered as they get ids.
#[derive(Default, Clone)]
struct Tail {
    last_id: i64,
    last_at: i64,
    last_body: String,
    last_item: Option<Item>,
    last_out: i64,
    waiting: Option<i64>,
    accepted: Option<i64>,
    closed: Option<i64>,
    closer: Option<i64>,
}

impl Tail {
    fn take(&mut self, m: &Made, id: i64) {
        match m.item {
            Item::In | Item::Out | Item::Note => {
                self.last_id = id;
                self.last_at = m.at;
                self.last_body.clone_from(&m.body);
                self.last_item = Some(m.item);
                if m.item == Item::In {
                    self.waiting.get_or_insert(m.at);
                } else if m.item == Item::Out {
                    self.waiting = None;
                    self.last_out = id;
                }
            }
            Item::Accepted => self.accepted = Some(m.at),
            Item::Closed => {
                self.closed = Some(m.at);
                self.closer = m.author;
            }
            Item::Returned => {}
        }
    }
}

/// Next explicit ids, shared by the accounts.
#[derive(Default)]
struct Ids {
    client: i64,
    dialog: i64,
    message: i64,
}

struct Streams {
    dialogs: Copy,
    messages: Copy,
    participants: Copy,
    states: Copy,
    tags: Copy,
}

impl Streams {
    async fn open(loader: &PgPool) -> anyhow::Result<Streams> {
        Ok(Streams {
            dialogs: Copy::open(
                loader,
                "dialogs",
                "id, account_id, number, title, status, line_id, channel_id, client_id, \
                 assignee_id, queue_group_id, created_at, accepted_at, closed_at, closed_by_id, \
                 last_message_id, last_message_at, last_message_snippet, last_message_kind, \
                 last_message_direction, last_activity_id, waiting_since",
            )
            .await?,
            messages: Copy::open(
                loader,
                "messages",
                "id, account_id, dialog_id, kind, direction, author_user_id, body, channel_id, \
                 external_id, delivery, created_at, system, important, important_at, \
                 important_by_id",
            )
            .await?,
            participants: Copy::open(
                loader,
                "dialog_participants",
                "account_id, dialog_id, user_id, role, added_at",
            )
            .await?,
            states: Copy::open(
                loader,
                "dialog_user_state",
                "account_id, dialog_id, user_id, read_message_id, pinned",
            )
            .await?,
            tags: Copy::open(loader, "dialog_tags", "account_id, dialog_id, tag_id").await?,
        })
    }

    async fn flush(&mut self, force: bool) -> anyhow::Result<()> {
        self.dialogs.flush(force).await?;
        self.messages.flush(force).await?;
        self.participants.flush(force).await?;
        self.states.flush(force).await?;
        self.tags.flush(force).await
    }

    async fn finish(self) -> anyhow::Result<()> {
        self.dialogs.finish().await?;
        self.messages.finish().await?;
        self.participants.finish().await?;
        self.states.finish().await?;
        self.tags.finish().await?;
        Ok(())
    }
}

async fn generate(db_url: &str, scale: f64) -> anyhow::Result<()> {
    let started = Instant::now();
    let pool = server::startup::connect(db_url).await?;
    server::startup::migrate(&pool).await?;
    // The loader writes rows that are consistent by construction, so its sessions skip the
    // foreign key checks (replica role) and build indexes with plenty of memory.
    let loader_options: PgConnectOptions = db_url
        .parse::<PgConnectOptions>()
        .context("reading the database URL")?
        .options([
            ("session_replication_role", "replica"),
            ("maintenance_work_mem", "1GB"),
            ("synchronous_commit", "off"),
        ]);
    let loader = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(loader_options)
        .await
        .context("connecting the loader")?;
    let indexes = drop_secondary_indexes(&pool).await?;

    let now = Utc::now().timestamp_micros();
    let vocabulary = Vocabulary::new();
    let mut ids = Ids::default();
    let big = Plan {
        name: BIG_ACCOUNT,
        key: 1,
        dialogs: ((1_000_000.0 * scale).round() as usize).max(200),
        operators: 200,
        groups: 10,
        lines: 20,
        tags: 500,
        long_dialog: true,
    };
    let small = Plan {
        name: SMALL_ACCOUNT,
        key: 2,
        dialogs: ((20_000.0 * scale).round() as usize).max(200),
        operators: 5,
        groups: 1,
        lines: 2,
        tags: 10,
        long_dialog: false,
    };
    for plan in [big, small] {
        let t = Instant::now();
        fill_account(&pool, &loader, &plan, now, &vocabulary, &mut ids).await?;
        println!(
            "- {}: {} dialogs written in {:.0} s",
            plan.name,
            plan.dialogs + usize::from(plan.long_dialog),
            t.elapsed().as_secs_f64()
        );
    }
    let loaded = started.elapsed().as_secs_f64();

    let t = Instant::now();
    let built = rebuild_indexes(&loader, indexes).await?;
    loader.close().await;
    let rebuilt = t.elapsed().as_secs_f64();
    for table in ["clients", "dialogs", "messages"] {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )))
        .execute(&pool)
        .await
        .with_context(|| format!("moving the id sequence of {table}"))?;
    }
    let t = Instant::now();
    sqlx::raw_sql("VACUUM ANALYZE")
        .execute(&pool)
        .await
        .context("VACUUM ANALYZE")?;
    let vacuumed = t.elapsed().as_secs_f64();
    let total = started.elapsed().as_secs_f64();
    println!(
        "\n## Generated in {:.1} min: rows {:.0} s, indexes {:.0} s, VACUUM ANALYZE {:.0} s\n",
        total / 60.0,
        loaded,
        rebuilt,
        vacuumed
    );
    println!("| index rebuilt | s |\n|---|---|");
    for (name, seconds) in &built {
        println!("| {name} | {seconds:.1} |");
    }
    println!("\n| table | rows |\n|---|---|");
    for table in [
        "accounts",
        "users",
        "lines",
        "line_access",
        "channels",
        "tags",
        "clients",
        "client_tags",
        "dialogs",
        "dialog_tags",
        "dialog_participants",
        "dialog_user_state",
        "messages",
    ] {
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&pool)
            .await
            .with_context(|| format!("counting {table}"))?;
        println!("| {table} | {n} |");
    }
    println!();
    pool.close().await;
    Ok(())
}

/// Drops the secondary indexes of the bulk tables (those that back no primary key or
/// unique constraint) and returns what rebuilds them: (table, index, definition).
async fn drop_secondary_indexes(pool: &PgPool) -> anyhow::Result<Vec<(String, String, String)>> {
    let mut saved = Vec::new();
    for table in BULK_TABLES {
        let found: Vec<(String, String)> = sqlx::query_as(
            "SELECT c.relname::text, pg_get_indexdef(i.indexrelid)
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = $1::regclass
                AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                                 WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                                   AND k.contype IN ('p', 'u', 'x'))
              ORDER BY pg_relation_size(i.indexrelid) DESC, c.relname",
        )
        .bind(table)
        .fetch_all(pool)
        .await
        .with_context(|| format!("reading the indexes of {table}"))?;
        for (name, definition) in found {
            sqlx::query(AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                .execute(pool)
                .await
                .with_context(|| format!("dropping {name}"))?;
            saved.push((table.to_owned(), name, definition));
        }
    }
    Ok(saved)
}

/// Builds the saved indexes again, two at a time, the full-text index of messages (the
/// longest) first.
async fn rebuild_indexes(
    loader: &PgPool,
    mut saved: Vec<(String, String, String)>,
) -> anyhow::Result<Vec<(String, f64)>> {
    saved.sort_by_key(|(table, _, definition)| {
        (
            !definition.contains("USING gin"),
            table != "messages",
            table != "dialogs",
        )
    });
    let queue = Arc::new(Mutex::new(VecDeque::from(saved)));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (loader, queue) = (loader.clone(), queue.clone());
            tokio::spawn(async move {
                let mut done = Vec::new();
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some((_, name, definition)) = next else {
                        break;
                    };
                    let t = Instant::now();
                    sqlx::raw_sql(AssertSqlSafe(definition))
                        .execute(&loader)
                        .await
                        .with_context(|| format!("building {name}"))?;
                    done.push((name, t.elapsed().as_secs_f64()));
                }
                anyhow::Ok(done)
            })
        })
        .collect();
    let mut built = Vec::new();
    for worker in workers {
        built.extend(worker.await??);
    }
    built.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(built)
}

/// The account, its users, groups, lines, rights, channels and tags: a few hundred rows.
async fn set_up(pool: &PgPool, plan: &Plan, rng: &mut Rng) -> anyhow::Result<Setup> {
    let mut tx = pool.begin().await?;
    let account: i64 = sqlx::query_scalar("INSERT INTO accounts (name) VALUES ($1) RETURNING id")
        .bind(plan.name)
        .fetch_one(&mut *tx)
        .await
        .context("adding the account")?;
    let key = plan.key;
    let add_user = |email: String, name: String, role: &'static str| {
        sqlx::query_scalar::<Postgres, i64>(
            "INSERT INTO users (account_id, email, display_name, password_hash, role, locale)
             VALUES ($1, $2, $3, 'no sign-in', $4::account_role, 'ru') RETURNING id",
        )
        .bind(account)
        .bind(email)
        .bind(name)
        .bind(role)
    };
    let admin = add_user(
        format!("admin@shop{key}.bench.example"),
        "Анна Администратор".into(),
        "admin",
    )
    .fetch_one(&mut *tx)
    .await
    .context("adding the admin")?;
    let mut operators = Vec::with_capacity(plan.operators);
    for i in 0..plan.operators {
        let (name, _) = person(rng);
        let id = add_user(
            format!("operator{}@shop{key}.bench.example", i + 1),
            name.clone(),
            "operator",
        )
        .fetch_one(&mut *tx)
        .await
        .context("adding an operator")?;
        operators.push((id, name));
    }
    let mut groups = Vec::with_capacity(plan.groups);
    for g in 0..plan.groups {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO user_groups (account_id, name) VALUES ($1, $2) RETURNING id",
        )
        .bind(account)
        .bind(format!("Смена {}", g + 1))
        .fetch_one(&mut *tx)
        .await
        .context("adding a group")?;
        groups.push(id);
    }
    for (i, (user, _)) in operators.iter().enumerate() {
        sqlx::query(
            "INSERT INTO user_group_members (account_id, group_id, user_id) VALUES ($1, $2, $3)",
        )
        .bind(account)
        .bind(groups[i % groups.len()])
        .bind(user)
        .execute(&mut *tx)
        .await
        .context("adding a group member")?;
    }
    let mut lines = Vec::with_capacity(plan.lines);
    for l in 0..plan.lines {
        // The last line of the big account is open to every user.
        let public = plan.lines > 2 && l + 1 == plan.lines;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO lines (account_id, name, all_users_may_view) VALUES ($1, $2, $3)
             RETURNING id",
        )
        .bind(account)
        .bind(LINE_NAMES[l % LINE_NAMES.len()])
        .bind(public)
        .fetch_one(&mut *tx)
        .await
        .context("adding a line")?;
        lines.push(id);
    }
    let measured_lines: Vec<usize> = if plan.lines > 9 {
        vec![1, 4, 9]
    } else {
        vec![0]
    };
    let mut line_operators = vec![Vec::new(); plan.lines];
    for (i, &(user, _)) in operators.iter().enumerate() {
        let mut mine: Vec<usize> = if i == 0 {
            measured_lines.clone()
        } else {
            let mut mine = vec![i % plan.lines];
            for _ in 0..rng.usize(0..3) {
                mine.push(rng.usize(0..plan.lines));
            }
            mine
        };
        mine.sort_unstable();
        mine.dedup();
        for l in mine {
            line_operators[l].push(i);
            let send = i == 0 || rng.f64() < 0.9;
            sqlx::query(
                "INSERT INTO line_access (account_id, line_id, user_id, can_view, can_send)
                 VALUES ($1, $2, $3, true, $4)",
            )
            .bind(account)
            .bind(lines[l])
            .bind(user)
            .bind(send)
            .execute(&mut *tx)
            .await
            .context("granting a line")?;
        }
    }
    let mut channels = Vec::with_capacity(plan.lines * 2);
    let mut line_channels = vec![Vec::new(); plan.lines];
    for l in 0..plan.lines {
        for c in 0..2 {
            let (kind, weight) = CHANNEL_KINDS[(2 * l + c) % CHANNEL_KINDS.len()];
            let name = match kind {
                "telegram" => format!("@shop{key}_line{}_bot", l + 1),
                "whatsapp" => format!("WhatsApp +7 495 000-{:02}-{c}{key}", l + 1),
                "email" => format!("support{}@shop{key}.example", l + 1),
                other => format!("{other} {}", LINE_NAMES[l % LINE_NAMES.len()]),
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO channels (account_id, line_id, kind, name)
                 VALUES ($1, $2, $3::channel_kind, $4) RETURNING id",
            )
            .bind(account)
            .bind(lines[l])
            .bind(kind)
            .bind(name)
            .fetch_one(&mut *tx)
            .await
            .context("adding a channel")?;
            line_channels[l].push(channels.len());
            channels.push(Channel {
                id,
                line: l,
                weight,
            });
        }
    }
    let mut tags = Vec::with_capacity(plan.tags);
    for t in 0..plan.tags {
        let base = TAG_NAMES[t % TAG_NAMES.len()];
        let name = if t < TAG_NAMES.len() {
            base.to_owned()
        } else {
            format!("{base} {}", t / TAG_NAMES.len() + 1)
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tags (account_id, name, color) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(account)
        .bind(name)
        .bind(format!("#{:06x}", rng.u32(0..0x100_0000)))
        .fetch_one(&mut *tx)
        .await
        .context("adding a tag")?;
        tags.push(id);
    }
    tx.commit().await?;
    Ok(Setup {
        account,
        admin,
        operators,
        groups,
        lines,
        line_operators,
        measured_lines,
        channels,
        line_channels,
        tags,
    })
}

/// Exponentially distributed, with this mean.
fn exponential(rng: &mut Rng, mean: i64) -> i64 {
    (-(1.0 - rng.f64()).ln() * mean as f64) as i64
}

/// The dialogs of an account before their messages: statuses, times, lines, clients and
/// assignees, in the order they were created.
fn heads(plan: &Plan, setup: &Setup, now: i64, rng: &mut Rng) -> (Vec<Head>, u32) {
    let lines = Zipf::new(plan.lines, 0.8);
    let mut clients: u32 = 0;
    let mut out = Vec::with_capacity(plan.dialogs + 1);
    for _ in 0..plan.dialogs {
        let roll = rng.f64();
        let status = if roll < 0.92 {
            Status::Closed
        } else if roll < 0.94 {
            Status::New
        } else if roll < 0.95 {
            Status::Returned
        } else {
            Status::InWork
        };
        // Closed dialogs spread over two years, more of them lately (the shop grows);
        // active ones are recent.
        let (created, last) = match status {
            Status::Closed => {
                let created = now - (730.0 * DAY as f64 * (1.0 - rng.f64().sqrt())) as i64;
                let last = (created + exponential(rng, 6 * HOUR).min(20 * DAY)).min(now - MINUTE);
                (created.min(last), last)
            }
            Status::New => {
                let last = now - exponential(rng, 8 * HOUR).min(20 * DAY);
                (last - exponential(rng, HOUR), last)
            }
            Status::Returned => {
                let last = now - exponential(rng, DAY).min(30 * DAY);
                (last - exponential(rng, 3 * DAY), last)
            }
            Status::InWork => {
                let last = now - exponential(rng, 36 * HOUR).min(60 * DAY);
                (last - exponential(rng, 4 * DAY), last)
            }
        };
        let line = lines.sample(rng);
        let options = &setup.line_channels[line];
        let total: u32 = options.iter().map(|&c| setup.channels[c].weight).sum();
        let mut pick = rng.u32(0..total.max(1));
        let mut channel = options[0];
        for &c in options {
            if pick < setup.channels[c].weight {
                channel = c;
                break;
            }
            pick -= setup.channels[c].weight;
        }
        // Active dialogs always have a client of their own (one active dialog per client
        // and channel); about half of the closed ones are a returning client's.
        let client = if status != Status::Closed || clients == 0 || rng.f64() < 0.55 {
            clients += 1;
            clients - 1
        } else {
            rng.u32(0..clients)
        };
        let workers = &setup.line_operators[line];
        let assignee = match status {
            Status::InWork => true,
            Status::Closed => rng.f64() < 0.92,
            _ => false,
        };
        let assignee = if assignee && !workers.is_empty() {
            workers[rng.usize(0..workers.len())] as u16 + 1
        } else {
            0
        };
        let messages = match status {
            Status::New => 1 + rng.u16(0..4),
            _ => 2 + (26.0 * rng.f64() * rng.f64()) as u16,
        };
        let queue = if status == Status::Returned && rng.bool() {
            rng.u8(0..setup.groups.len() as u8) + 1
        } else {
            0
        };
        out.push(Head {
            created,
            last,
            seed: rng.u64(..),
            client,
            messages,
            channel: channel as u16,
            assignee,
            queue,
            status,
            long: false,
        });
    }
    if plan.long_dialog {
        // A wholesale client writing every day for a year, in work with the measured
        // operator on their first line.
        let line = setup.measured_lines[0];
        clients += 1;
        out.push(Head {
            created: now - 365 * DAY,
            last: now - 7 * MINUTE,
            seed: rng.u64(..),
            client: clients - 1,
            messages: 0,
            channel: setup.line_channels[line][0] as u16,
            assignee: 1,
            queue: 0,
            status: Status::InWork,
            long: true,
        });
    }
    out.sort_by_key(|h| (h.created, h.seed));
    (out, clients)
}

/// The order of a dialog's messages and events.
fn script(head: &Head, count: usize, rng: &mut Rng) -> Vec<Item> {
    if head.status == Status::New {
        return vec![Item::In; count.max(1)];
    }
    let worked = head.assignee != 0 || head.status == Status::Returned;
    let mut items = vec![Item::In];
    let mut previous = Item::In;
    while items.len() < count.max(2) {
        let next = if !worked {
            Item::In
        } else {
            let roll = rng.f64();
            match previous {
                Item::In if roll < 0.55 => Item::Out,
                Item::In if roll < 0.93 => Item::In,
                Item::Out if roll < 0.60 => Item::In,
                Item::Out if roll < 0.93 => Item::Out,
                _ => Item::Note,
            }
        };
        if next != Item::Note {
            previous = next;
        }
        items.push(next);
    }
    let n = items.len();
    if head.status == Status::InWork {
        // Most dialogs in work wait for the operator's reply.
        items[n - 1] = if rng.f64() < 0.6 || head.long {
            Item::In
        } else {
            Item::Out
        };
    }
    if worked && !items.contains(&Item::Out) {
        items[if n > 2 { n / 2 } else { n - 1 }] = Item::Out;
    }
    if worked && let Some(first_out) = items.iter().position(|&i| i == Item::Out) {
        items.insert(first_out, Item::Accepted);
    }
    match head.status {
        Status::Returned => {
            items.push(Item::Returned);
            items.push(Item::In);
        }
        Status::Closed => items.push(Item::Closed),
        _ => {}
    }
    items
}

/// One dialog's messages, with times from its creation to its last message.
fn make_messages(
    head: &Head,
    local: u32,
    setup: &Setup,
    vocabulary: &Vocabulary,
    now: i64,
    rng: &mut Rng,
    out: &mut Vec<Made>,
) {
    let count = if head.long {
        LONG_MESSAGES - 1
    } else {
        usize::from(head.messages)
    };
    let items = script(head, count, rng);
    let line = setup.channels[usize::from(head.channel)].line;
    let workers = &setup.line_operators[line];
    // Who answered: the assignee, or for a dialog back in the queue or closed unanswered,
    // someone of the line.
    let operator = if head.assignee != 0 {
        Some(&setup.operators[usize::from(head.assignee) - 1])
    } else if !workers.is_empty() {
        Some(&setup.operators[workers[rng.usize(0..workers.len())]])
    } else {
        None
    };
    let (operator_id, operator_name) = operator
        .map(|(id, name)| (Some(*id), name.as_str()))
        .unwrap_or((Some(setup.admin), "Анна Администратор"));
    let closing = items.last() == Some(&Item::Closed);
    let timed = items.len() - usize::from(closing);
    let mut times: Vec<i64> = (0..timed)
        .map(|i| {
            if i + 1 == timed {
                head.last
            } else if i == 0 {
                head.created
            } else {
                head.created + rng.i64(0..=(head.last - head.created).max(0))
            }
        })
        .collect();
    times.sort_unstable();
    if closing {
        times.push((head.last + MINUTE + rng.i64(0..2 * HOUR)).min(now));
    }
    for (seq, (&item, &at)) in items.iter().zip(times.iter()).enumerate() {
        let (author, body, system) = match item {
            Item::In => (None, vocabulary.message(rng), None),
            Item::Out | Item::Note => (operator_id, vocabulary.message(rng), None),
            Item::Accepted | Item::Returned | Item::Closed => {
                let by = operator_name.to_owned();
                let event = match item {
                    Item::Accepted => SystemEvent::Accepted { by },
                    Item::Returned => SystemEvent::ReturnedToQueue { by },
                    _ => SystemEvent::Closed { by, reason: None },
                };
                (
                    operator_id,
                    event.sentence(Locale::En),
                    serde_json::to_string(&event).ok(),
                )
            }
        };
        let important = matches!(item, Item::In | Item::Out) && rng.f64() < 0.001;
        out.push(Made {
            at,
            local,
            seq: seq as u32,
            item,
            author,
            body,
            system,
            important,
        });
    }
}

fn write_message(
    copy: &mut Copy,
    setup: &Setup,
    head: &Head,
    dialog: i64,
    id: i64,
    m: &Made,
    rng: &mut Rng,
) {
    let channel = setup.channels[usize::from(head.channel)].id;
    let (kind, direction) = match m.item {
        Item::In => ("message", "in"),
        Item::Out => ("message", "out"),
        Item::Note => ("note", "internal"),
        _ => ("system", "internal"),
    };
    copy.int(id)
        .int(setup.account)
        .int(dialog)
        .text(kind)
        .text(direction)
        .opt_int(m.author)
        .text(&m.body);
    match m.item {
        Item::In => {
            copy.int(channel).text(&id.to_string()).null();
        }
        Item::Out => {
            let delivery = match rng.u8(0..20) {
                0 => "sent",
                1..=5 => "delivered",
                _ => "read",
            };
            copy.int(channel).text(&format!("out-{id}")).text(delivery);
        }
        _ => {
            copy.null().null().null();
        }
    }
    copy.time(m.at)
        .opt_text(m.system.as_deref())
        .boolean(m.important);
    if m.important {
        copy.time(m.at + HOUR)
            .opt_int(m.author.or(Some(setup.admin)));
    } else {
        copy.null().null();
    }
    copy.end();
}

/// Marks that belong to particular dialogs, chosen once all dialogs are known.
struct Marks {
    /// Dialogs (positions) the measured operator and the admin pinned.
    operator_pins: HashSet<usize>,
    admin_pins: HashSet<usize>,
}

#[allow(clippy::too_many_arguments)]
fn write_dialog(
    s: &mut Streams,
    setup: &Setup,
    marks: &Marks,
    head: &Head,
    position: usize,
    id: i64,
    client_base: i64,
    tail: &Tail,
    tag_ranks: &Zipf,
) {
    let mut rng = Rng::with_seed(head.seed ^ 0x9e37_79b9_7f4a_7c15);
    let account = setup.account;
    let channel = &setup.channels[usize::from(head.channel)];
    let assignee = (head.assignee != 0).then(|| setup.operators[usize::from(head.assignee) - 1].0);
    let closed = head.status == Status::Closed;
    let (kind, direction) = match tail.last_item {
        Some(Item::Out) => ("message", "out"),
        Some(Item::Note) => ("note", "internal"),
        _ => ("message", "in"),
    };
    let d = &mut s.dialogs;
    d.int(id)
        .int(account)
        .int(position as i64 + 1)
        .opt_text(head.long.then_some(LONG_TITLE))
        .text(head.status.as_str())
        .int(setup.lines[channel.line])
        .int(channel.id)
        .int(client_base + i64::from(head.client) + 1)
        .opt_int(assignee)
        .opt_int((head.queue != 0).then(|| setup.groups[usize::from(head.queue) - 1]))
        .time(head.created)
        .opt_time(tail.accepted)
        .opt_time(tail.closed.filter(|_| closed))
        .opt_int(tail.closer.filter(|_| closed))
        .int(tail.last_id)
        .time(tail.last_at)
        .text(&snippet(&tail.last_body))
        .text(kind)
        .text(direction)
        .int(tail.last_id)
        .opt_time(tail.waiting.filter(|_| !closed));
    d.end();

    // Read positions: the assignee has read what they answered (half of the waiting ones
    // were opened since), helpers and readers of the line everything.
    let mut states: Vec<(i64, i64, bool)> = Vec::new();
    let measured = setup.operators[0].0;
    if let Some(user) = assignee {
        let waiting = tail.last_item == Some(Item::In) && !closed;
        let read = if waiting && rng.bool() {
            tail.last_out
        } else {
            tail.last_id
        };
        let pinned = user == measured && marks.operator_pins.contains(&position);
        states.push((user, read, pinned));
        let added = tail.accepted.unwrap_or(head.created);
        s.participants
            .int(account)
            .int(id)
            .int(user)
            .text("assignee")
            .time(added);
        s.participants.end();
        let workers = &setup.line_operators[channel.line];
        if rng.f64() < 0.01 && workers.len() > 1 {
            let helper = setup.operators[workers[rng.usize(0..workers.len())]].0;
            if helper != user {
                s.participants
                    .int(account)
                    .int(id)
                    .int(helper)
                    .text("co_assignee")
                    .time(added + HOUR);
                s.participants.end();
                states.push((helper, tail.last_id, false));
            }
        }
    }
    if closed
        && setup.measured_lines.contains(&channel.line)
        && !states.iter().any(|(u, _, _)| *u == measured)
        && rng.f64() < 0.2
    {
        states.push((measured, tail.last_id, false));
    }
    let admin_pinned = marks.admin_pins.contains(&position);
    if admin_pinned || rng.f64() < 0.03 {
        states.push((setup.admin, tail.last_id, admin_pinned));
    }
    for (user, read, pinned) in states {
        s.states
            .int(account)
            .int(id)
            .int(user)
            .int(read)
            .boolean(pinned);
        s.states.end();
    }

    if rng.f64() < 0.3 && !setup.tags.is_empty() {
        let mut chosen: Vec<usize> = (0..1 + rng.usize(0..3))
            .map(|_| tag_ranks.sample(&mut rng))
            .collect();
        chosen.sort_unstable();
        chosen.dedup();
        for t in chosen {
            s.tags.int(account).int(id).int(setup.tags[t]);
            s.tags.end();
        }
    }
}

async fn write_clients(
    loader: &PgPool,
    setup: &Setup,
    plan: &Plan,
    count: u32,
    base: i64,
    now: i64,
    tag_ranks: &Zipf,
) -> anyhow::Result<()> {
    let mut clients = Copy::open(
        loader,
        "clients",
        "id, account_id, name, phone, username, email, created_at",
    )
    .await?;
    let mut tags = Copy::open(loader, "client_tags", "account_id, client_id, tag_id").await?;
    for k in 0..count {
        let mut rng = Rng::with_seed((u64::from(plan.key) << 40) | u64::from(k));
        let id = base + i64::from(k) + 1;
        let (name, latin) = person(&mut rng);
        let latin = latin.to_lowercase();
        let phone = (rng.f64() < 0.7).then(|| format!("+79{:09}", rng.u32(0..1_000_000_000)));
        let username = (rng.f64() < 0.35).then(|| format!("{latin}_{}", rng.u32(1..10_000)));
        let email = (rng.f64() < 0.3).then(|| {
            format!(
                "{latin}.{}@{}",
                rng.u32(1..1000),
                MAIL_DOMAINS[rng.usize(0..MAIL_DOMAINS.len())]
            )
        });
        clients
            .int(id)
            .int(setup.account)
            .text(&name)
            .opt_text(phone.as_deref())
            .opt_text(username.as_deref())
            .opt_text(email.as_deref())
            .time(now - rng.i64(0..730 * DAY));
        clients.end();
        if rng.f64() < 0.03 && !setup.tags.is_empty() {
            tags.int(setup.account)
                .int(id)
                .int(setup.tags[tag_ranks.sample(&mut rng)]);
            tags.end();
        }
        clients.flush(false).await?;
        tags.flush(false).await?;
    }
    clients.finish().await?;
    tags.finish().await?;
    Ok(())
}

async fn fill_account(
    pool: &PgPool,
    loader: &PgPool,
    plan: &Plan,
    now: i64,
    vocabulary: &Vocabulary,
    ids: &mut Ids,
) -> anyhow::Result<()> {
    let mut rng = Rng::with_seed(0x5eed_0000 + u64::from(plan.key));
    let setup = set_up(pool, plan, &mut rng).await?;
    let (heads, client_count) = heads(plan, &setup, now, &mut rng);
    let tag_ranks = Zipf::new(setup.tags.len(), 1.0);

    let client_base = ids.client;
    write_clients(
        loader,
        &setup,
        plan,
        client_count,
        client_base,
        now,
        &tag_ranks,
    )
    .await?;
    ids.client += i64::from(client_count);

    let pick = |rng: &mut Rng, candidates: Vec<usize>, n: usize| -> HashSet<usize> {
        let mut candidates = candidates;
        rng.shuffle(&mut candidates);
        candidates.into_iter().take(n).collect()
    };
    let operator_pins = pick(
        &mut rng,
        (0..heads.len())
            .filter(|&i| heads[i].assignee == 1 && !heads[i].long)
            .collect(),
        8,
    );
    let admin_pins = pick(&mut rng, (0..heads.len()).collect(), 5);
    let marks = Marks {
        operator_pins,
        admin_pins,
    };

    let dialog_base = ids.dialog;
    let mut streams = Streams::open(loader).await?;
    // The long dialog's messages are spread over the year it lasts, so they lie among the
    // other dialogs' messages as they would have been written.
    let long_position = heads.iter().position(|h| h.long);
    let mut long_messages: VecDeque<Made> = VecDeque::new();
    let mut long_tail = Tail::default();
    if let Some(p) = long_position {
        let mut made = Vec::with_capacity(LONG_MESSAGES);
        let mut long_rng = Rng::with_seed(heads[p].seed);
        make_messages(
            &heads[p],
            LONG,
            &setup,
            vocabulary,
            now,
            &mut long_rng,
            &mut made,
        );
        long_messages.extend(made);
    }
    let mut made: Vec<Made> = Vec::new();
    for (c, chunk) in heads.chunks(CHUNK).enumerate() {
        let first = c * CHUNK;
        let until = heads.get(first + CHUNK).map_or(i64::MAX, |h| h.created);
        made.clear();
        for (j, head) in chunk.iter().enumerate() {
            if !head.long {
                let mut dialog_rng = Rng::with_seed(head.seed);
                make_messages(
                    head,
                    j as u32,
                    &setup,
                    vocabulary,
                    now,
                    &mut dialog_rng,
                    &mut made,
                );
            }
        }
        while long_messages.front().is_some_and(|m| m.at < until) {
            if let Some(m) = long_messages.pop_front() {
                made.push(m);
            }
        }
        made.sort_by_key(|m| (m.at, m.local, m.seq));
        let mut tails = vec![Tail::default(); chunk.len()];
        for m in &made {
            ids.message += 1;
            let (head, position, tail) = if m.local == LONG {
                let p = long_position.unwrap_or(0);
                (&heads[p], p, &mut long_tail)
            } else {
                let j = m.local as usize;
                (&chunk[j], first + j, &mut tails[j])
            };
            tail.take(m, ids.message);
            write_message(
                &mut streams.messages,
                &setup,
                head,
                dialog_base + position as i64 + 1,
                ids.message,
                m,
                &mut rng,
            );
            streams.messages.flush(false).await?;
        }
        for (j, head) in chunk.iter().enumerate() {
            if !head.long {
                write_dialog(
                    &mut streams,
                    &setup,
                    &marks,
                    head,
                    first + j,
                    dialog_base + (first + j) as i64 + 1,
                    client_base,
                    &tails[j],
                    &tag_ranks,
                );
            }
        }
        streams.flush(false).await?;
    }
    if let Some(p) = long_position {
        write_dialog(
            &mut streams,
            &setup,
            &marks,
            &heads[p],
            p,
            dialog_base + p as i64 + 1,
            client_base,
            &long_tail,
            &tag_ranks,
        );
    }
    streams.finish().await?;
    ids.dialog += heads.len() as i64;
    sqlx::query("UPDATE accounts SET next_dialog_number = $2 WHERE id = $1")
        .bind(setup.account)
        .bind(heads.len() as i64 + 1)
        .execute(pool)
        .await
        .context("numbering the account's dialogs")?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Measurements.

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// One row of the results table.
struct Timing {
    label: String,
    samples: Vec<f64>,
    /// None for the steps of a measurement that has the goal.
    goal: Option<f64>,
}

impl Timing {
    fn new(label: String, mut samples: Vec<f64>, goal: Option<f64>) -> Timing {
        samples.sort_by(f64::total_cmp);
        Timing {
            label,
            samples,
            goal,
        }
    }

    fn p95(&self) -> f64 {
        percentile(&self.samples, 0.95)
    }

    fn met(&self) -> bool {
        self.goal.is_none_or(|goal| self.p95() <= goal)
    }
}

/// Times `$call` (an expression that awaits) `$repeat` times after a warm-up; milliseconds.
macro_rules! timed {
    ($repeat:expr, $call:expr) => {{
        let repeat: usize = $repeat;
        let mut samples = Vec::with_capacity(repeat);
        for i in 0..WARM_UP + repeat {
            let started = Instant::now();
            std::hint::black_box($call);
            if i >= WARM_UP {
                samples.push(started.elapsed().as_secs_f64() * 1e3);
            }
        }
        samples
    }};
}

/// How often to time a call that took this long the first time: a call of seconds is timed
/// a few times only, so a slow row does not hold up the run.
fn repeats(first: Instant, repeat: usize) -> usize {
    if first.elapsed().as_secs_f64() > 1.0 {
        repeat.min(5)
    } else {
        repeat
    }
}

/// Ids and values of the generated account the measurements name.
struct Facts {
    account: AccountId,
    admin: UserId,
    operator: UserId,
    long_dialog: DialogId,
    tags: Vec<(i64, i64)>,
    busy_operator: i64,
    newest: DateTime<Utc>,
}

impl Facts {
    async fn find(pool: &PgPool) -> anyhow::Result<Facts> {
        let account: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE name = $1")
            .bind(BIG_ACCOUNT)
            .fetch_optional(pool)
            .await?
            .context("no generated account in this database")?;
        let admin: i64 = sqlx::query_scalar(
            "SELECT id FROM users WHERE account_id = $1 AND role = 'admin' ORDER BY id LIMIT 1",
        )
        .bind(account)
        .fetch_optional(pool)
        .await?
        .context("the generated account has no admin")?;
        let operator: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind("operator1@shop1.bench.example")
            .fetch_optional(pool)
            .await?
            .context("the measured operator is missing")?;
        let long_dialog: i64 =
            sqlx::query_scalar("SELECT id FROM dialogs WHERE account_id = $1 AND title = $2")
                .bind(account)
                .bind(LONG_TITLE)
                .fetch_optional(pool)
                .await?
                .context("the long dialog is missing")?;
        let tags: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT tag_id, count(*) FROM dialog_tags WHERE account_id = $1
              GROUP BY tag_id ORDER BY count(*) DESC, tag_id",
        )
        .bind(account)
        .fetch_all(pool)
        .await?;
        anyhow::ensure!(
            !tags.is_empty(),
            "the generated account has no tagged dialogs"
        );
        let busy_operator: i64 = sqlx::query_scalar(
            "SELECT assignee_id FROM dialogs WHERE account_id = $1 AND assignee_id IS NOT NULL
              GROUP BY assignee_id ORDER BY count(*) DESC LIMIT 1",
        )
        .bind(account)
        .fetch_optional(pool)
        .await?
        .context("no dialog has an assignee")?;
        let newest: DateTime<Utc> =
            sqlx::query_scalar("SELECT max(last_message_at) FROM dialogs WHERE account_id = $1")
                .bind(account)
                .fetch_one(pool)
                .await?;
        Ok(Facts {
            account: AccountId(account),
            admin: UserId(admin),
            operator: UserId(operator),
            long_dialog: DialogId(long_dialog),
            tags,
            busy_operator,
            newest,
        })
    }
}

/// The first-page filters, as the inbox writes them in its URL.
fn filters(facts: &Facts, line: i64) -> Vec<String> {
    let common = facts.tags[0].0;
    let middle = facts.tags[facts.tags.len() / 2].0;
    let rare = facts.tags[facts.tags.len() - 1].0;
    // A month half a year before the newest activity.
    let day = (facts.newest - Duration::days(182)).date_naive();
    let from = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day);
    let to = from
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(from);
    let period = format!("from={from}&to={to}");
    let busy = facts.busy_operator;
    vec![
        String::new(),
        "section=in_work".into(),
        "section=all".into(),
        "section=all&closed=1".into(),
        format!("section=all&closed=1&line={line}"),
        "assignee=me".into(),
        "section=all&closed=1&assignee=none".into(),
        format!("section=all&closed=1&tag={common}"),
        format!("section=all&closed=1&tag={rare}"),
        "section=all&closed=1&channel=email".into(),
        "unread=1".into(),
        "section=all&waiting=30".into(),
        format!("section=all&closed=1&{period}"),
        "section=all&closed=1&pinned=1".into(),
        "section=in_work&assignee=me&unread=1".into(),
        format!("section=all&closed=1&line={line}&channel=telegram"),
        format!("section=all&closed=1&assignee={busy}&{period}"),
        format!("section=all&closed=1&tag={middle}&channel=whatsapp"),
        format!("section=all&closed=1&unread=1&line={line}&assignee=none"),
        format!("section=all&closed=1&tag={common}&channel=email&{period}"),
    ]
}

fn parse(query: &str) -> anyhow::Result<DialogFilter> {
    DialogFilter::parse(query).with_context(|| format!("the filter {query:?}"))
}

/// The list position `depth` rows down "section=all&closed=1" as this user sees it, with
/// the depth actually reached (a short list gives a shallower one).
async fn cursor_at(
    conn: &mut sqlx::PgConnection,
    access: &Access,
    depth: i64,
) -> anyhow::Result<Option<(ListCursor, i64)>> {
    let mut qb: QueryBuilder<Postgres> =
        QueryBuilder::new("SELECT count(*) FROM dialogs d WHERE true");
    access.push_dialog_scope(&mut qb, "d");
    let visible: i64 = qb.build_query_scalar().fetch_one(&mut *conn).await?;
    if visible < 2 * PAGE {
        return Ok(None);
    }
    let depth = depth.min(visible * 9 / 10);
    let mut qb: QueryBuilder<Postgres> =
        QueryBuilder::new("SELECT d.last_message_at, d.id FROM dialogs d WHERE true");
    access.push_dialog_scope(&mut qb, "d");
    qb.push(" ORDER BY d.last_message_at DESC, d.id DESC OFFSET ");
    qb.push_bind(depth - 1);
    qb.push(" LIMIT 1");
    let (last_message_at, id): (DateTime<Utc>, DialogId) =
        qb.build_query_as().fetch_one(&mut *conn).await?;
    Ok(Some((
        ListCursor {
            last_message_at,
            id,
        },
        depth,
    )))
}

async fn measure(db_url: &str) -> anyhow::Result<()> {
    let repeat = setting("BENCH_REPEAT", 30).max(1) as usize;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(db_url)
        .await
        .context("connecting to the generated database")?;
    let facts = Facts::find(&pool).await?;
    let mut conn = pool.acquire().await?;
    let account = facts.account;
    let admin = Access::of_user(&mut conn, account, facts.admin)
        .await?
        .context("the admin is not an active user")?;
    let operator = Access::of_user(&mut conn, account, facts.operator)
        .await?
        .context("the operator is not an active user")?;
    let line = operator
        .lines
        .iter()
        .filter(|(_, r)| r.view)
        .map(|(l, _)| l.0)
        .min()
        .context("the operator has no line")?;

    let mix: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status::text, count(*) FROM dialogs WHERE account_id = $1 GROUP BY 1 ORDER BY 2 DESC",
    )
    .bind(account)
    .fetch_all(&mut *conn)
    .await?;
    let mix: Vec<String> = mix.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!(
        "Account {}: {}; operator {} sees lines {:?} (filters use line {line}); \
         tags by use: {} (most), {} (middle), {} (least); busiest operator {}; \
         {repeat} timed calls a row after {WARM_UP} warm-up calls (5 for calls of over a \
         second).\n",
        account.0,
        mix.join(", "),
        facts.operator.0,
        {
            let mut l: Vec<i64> = operator.lines.keys().map(|l| l.0).collect();
            l.sort_unstable();
            l
        },
        facts.tags[0].0,
        facts.tags[facts.tags.len() / 2].0,
        facts.tags[facts.tags.len() - 1].0,
        facts.busy_operator,
    );

    let mut results: Vec<Timing> = Vec::new();
    let mut slow_candidates: Vec<(Call, usize, String, f64)> = Vec::new();
    let users = [("admin", &admin), ("operator", &operator)];
    for (who_index, (who, access)) in users.iter().enumerate() {
        for query in filters(&facts, line) {
            let filter = parse(&query)?;
            let first = Instant::now();
            let page = app::store::dialogs::list(
                &mut conn,
                access,
                &filter,
                TZ_OFFSET_MINUTES,
                None,
                PAGE,
            )
            .await
            .with_context(|| format!("listing {query:?}"))?;
            let samples = timed!(
                repeats(first, repeat),
                app::store::dialogs::list(
                    &mut conn,
                    access,
                    &filter,
                    TZ_OFFSET_MINUTES,
                    None,
                    PAGE
                )
                .await?
            );
            let shown = if query.is_empty() {
                "(New)"
            } else {
                query.as_str()
            };
            let t = Timing::new(
                format!("{who} · first page · `{shown}` ({} rows)", page.rows.len()),
                samples,
                Some(GOAL_PAGE),
            );
            if !t.met() {
                slow_candidates.push((Call::Page, who_index, query.clone(), t.p95()));
            }
            results.push(t);
        }
        let all_closed = parse("section=all&closed=1")?;
        let mut reached_before = 0;
        for depth in [10_000, 100_000] {
            let Some((cursor, reached)) = cursor_at(&mut conn, access, depth).await? else {
                continue;
            };
            if reached == reached_before {
                continue;
            }
            reached_before = reached;
            let samples = timed!(
                repeat,
                app::store::dialogs::list(
                    &mut conn,
                    access,
                    &all_closed,
                    TZ_OFFSET_MINUTES,
                    Some(cursor),
                    PAGE
                )
                .await?
            );
            results.push(Timing::new(
                format!("{who} · page after row {reached} · `section=all&closed=1`"),
                samples,
                Some(GOAL_PAGE),
            ));
        }
        for query in [
            String::new(),
            "section=all&closed=1".into(),
            format!("section=all&closed=1&line={line}"),
            format!("section=all&closed=1&tag={}", facts.tags[0].0),
            "section=all&closed=1&channel=email&assignee=none".into(),
        ] {
            let filter = parse(&query)?;
            let first = Instant::now();
            let c = app::store::dialogs::counters(&mut *conn, access, &filter, TZ_OFFSET_MINUTES)
                .await
                .with_context(|| format!("counting {query:?}"))?;
            let samples = timed!(
                repeats(first, repeat),
                app::store::dialogs::counters(&mut *conn, access, &filter, TZ_OFFSET_MINUTES)
                    .await?
            );
            let shown = if query.is_empty() {
                "(none)"
            } else {
                query.as_str()
            };
            let t = Timing::new(
                format!(
                    "{who} · counters · `{shown}` ({}/{}/{})",
                    c.new, c.in_work, c.all
                ),
                samples,
                Some(GOAL_COUNTERS),
            );
            if !t.met() {
                slow_candidates.push((Call::Counters, who_index, query.clone(), t.p95()));
            }
            results.push(t);
        }
        // Opening a dialog, as the server does it, and then its steps one by one.
        let id = facts.long_dialog;
        let mut shown = 0;
        let samples = timed!(repeat, {
            let record = app::store::dialogs::find(&mut conn, access, id, false)
                .await?
                .context("the long dialog is out of sight")?;
            let (messages, _) =
                app::store::messages::newest(&mut *conn, account, id, 200, record.hide_system)
                    .await?;
            let others =
                app::store::dialogs::others_of_client(&mut *conn, access, record.client_id, id)
                    .await?;
            let helpers = app::store::dialogs::helpers(&mut *conn, access, id).await?;
            shown = messages.len();
            (messages.len(), others.len(), helpers.len())
        });
        results.push(Timing::new(
            format!("{who} · open the {LONG_MESSAGES}-message dialog ({shown} messages shown)"),
            samples,
            Some(GOAL_OPEN),
        ));
        // Opened at a message in its middle (a search result): a window of 201 messages.
        let middle: i64 = sqlx::query_scalar(
            "SELECT id FROM messages WHERE dialog_id = $1 ORDER BY id OFFSET 10000 LIMIT 1",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        let samples = timed!(repeat, {
            app::store::messages::around(
                &mut conn,
                account,
                &[id],
                app::domain::MessageId(middle),
                100,
                100,
                false,
            )
            .await?
        });
        results.push(Timing::new(
            format!("{who} · ↳ open: the window around a message in its middle"),
            samples,
            Some(GOAL_OPEN),
        ));
        // Search: messages and clients, as the server function does it.
        let mut all_search = Vec::new();
        for query in search_queries() {
            let parsed = app::domain::search::SearchQuery::parse(query)
                .map_err(|e| anyhow::anyhow!("{query}: {e}"))?;
            let mut found = 0;
            let samples = timed!(repeat.min(10), {
                let clients = app::store::search::clients(&mut conn, access, &parsed, 10).await?;
                let (messages, _) =
                    app::store::search::messages(&mut conn, access, &parsed, None, 50).await?;
                found = clients.len() + messages.len();
            });
            all_search.extend(samples.iter().copied());
            results.push(Timing::new(
                format!("{who} · search · `{query}` ({found} found)"),
                samples,
                Some(GOAL_SEARCH),
            ));
        }
        results.push(Timing::new(
            format!("{who} · search · all {} queries", search_queries().len()),
            all_search,
            Some(GOAL_SEARCH),
        ));
        let client = app::store::dialogs::find(&mut conn, access, id, false)
            .await?
            .context("the long dialog is out of sight")?
            .client_id;
        let steps = [
            (
                "find",
                timed!(
                    repeat,
                    app::store::dialogs::find(&mut conn, access, id, false).await?
                ),
            ),
            (
                "newest 200 messages",
                timed!(
                    repeat,
                    app::store::messages::newest(&mut *conn, account, id, 200, false).await?
                ),
            ),
            (
                "other dialogs of the client",
                timed!(
                    repeat,
                    app::store::dialogs::others_of_client(&mut *conn, access, client, id).await?
                ),
            ),
            (
                "helpers",
                timed!(
                    repeat,
                    app::store::dialogs::helpers(&mut *conn, access, id).await?
                ),
            ),
        ];
        for (step, samples) in steps {
            results.push(Timing::new(
                format!("{who} · ↳ open: {step}"),
                samples,
                None,
            ));
        }
    }

    println!("| measurement | n | p50 ms | p95 ms | p99 ms | goal | met? |");
    println!("|---|---|---|---|---|---|---|");
    for t in &results {
        println!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {} | {} |",
            t.label,
            t.samples.len(),
            percentile(&t.samples, 0.5),
            t.p95(),
            percentile(&t.samples, 0.99),
            t.goal.map_or("–".into(), |g| format!("≤ {g} ms")),
            match (t.goal, t.met()) {
                (None, _) => "–",
                (_, true) => "yes",
                (_, false) => "**no**",
            }
        );
    }
    println!();

    sizes(&mut conn).await?;

    slow_candidates.sort_by(|a, b| b.3.total_cmp(&a.3));
    if !slow_candidates.is_empty() {
        println!(
            "## Plans of the slowest first pages and counters that missed the goal \
             (statements of {PLAN_MIN_MS} ms or more)\n"
        );
        for (call, who_index, query, p95) in slow_candidates.iter().take(MAX_PLANS) {
            let (who, access) = users[*who_index];
            let what = match call {
                Call::Page => "first page",
                Call::Counters => "counters",
            };
            println!("### {who} · {what} · `{query}` (p95 {p95:.1} ms)\n");
            match explain(&mut conn, access, &parse(query)?, *call).await {
                Ok(plans) if plans.is_empty() => {
                    println!("no statement took {PLAN_MIN_MS} ms this time\n")
                }
                Ok(plans) => {
                    for plan in plans {
                        println!("```\n{}\n```\n", plan.trim_end());
                    }
                }
                Err(e) => println!("plans not available: {e:#}\n"),
            }
        }
    }
    drop(conn);
    pool.close().await;
    Ok(())
}

async fn sizes(conn: &mut sqlx::PgConnection) -> anyhow::Result<()> {
    let database: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
        .fetch_one(&mut *conn)
        .await?;
    println!("## Sizes (database {} MB)\n", database / (1 << 20));
    println!("| table | rows (est.) | table MB | indexes MB | total MB |");
    println!("|---|---|---|---|---|");
    for table in [
        "messages",
        "dialogs",
        "clients",
        "dialog_tags",
        "dialog_participants",
        "dialog_user_state",
        "client_tags",
    ] {
        let (rows, heap, indexes, total): (f32, i64, i64, i64) = sqlx::query_as(
            "SELECT c.reltuples, pg_relation_size(c.oid), pg_indexes_size(c.oid),
                    pg_total_relation_size(c.oid)
               FROM pg_class c WHERE c.oid = $1::regclass",
        )
        .bind(table)
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("measuring {table}"))?;
        println!(
            "| {table} | {rows:.0} | {:.1} | {:.1} | {:.1} |",
            heap as f64 / 1048576.0,
            indexes as f64 / 1048576.0,
            total as f64 / 1048576.0
        );
    }
    println!("\n| index | MB |\n|---|---|");
    for table in ["dialogs", "messages", "clients", "dialog_tags"] {
        let indexes: Vec<(String, i64)> = sqlx::query_as(
            "SELECT c.relname::text, pg_relation_size(i.indexrelid)
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = $1::regclass ORDER BY 2 DESC",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await
        .with_context(|| format!("measuring the indexes of {table}"))?;
        for (name, size) in indexes {
            println!("| {table}.{name} | {:.1} |", size as f64 / 1048576.0);
        }
    }
    println!();
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Plans of slow pages: auto_explain sends them to this session as notices, which sqlx hands
// to `tracing`; a layer keeps them here.

static NOTICES: Mutex<Vec<String>> = Mutex::new(Vec::new());
const NOTICE_TARGET: &str = "sqlx::postgres::notice";

struct NoticeLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for NoticeLayer {
    fn register_callsite(
        &self,
        metadata: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if metadata.target() == NOTICE_TARGET {
            tracing::subscriber::Interest::always()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(
        &self,
        metadata: &tracing::Metadata<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        metadata.target() == NOTICE_TARGET
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut text = MessageText(String::new());
        event.record(&mut text);
        if let Ok(mut notices) = NOTICES.lock() {
            notices.push(text.0);
        }
    }
}

struct MessageText(String);

impl tracing::field::Visit for MessageText {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.0);
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

fn capture_notices() -> anyhow::Result<()> {
    use tracing_subscriber::layer::SubscriberExt as _;
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(NoticeLayer))
        .context("installing the notice capture")
}

/// A store call whose plans can be shown.
#[derive(Clone, Copy)]
enum Call {
    /// The first page of the list (its pinned rows, then the rest).
    Page,
    Counters,
}

/// The plans of one call's statements that took `PLAN_MIN_MS` or more, run once with
/// auto_explain.
async fn explain(
    conn: &mut sqlx::PgConnection,
    access: &Access,
    filter: &DialogFilter,
    call: Call,
) -> anyhow::Result<Vec<String>> {
    sqlx::raw_sql(AssertSqlSafe(format!(
        "LOAD 'auto_explain';
         SET auto_explain.log_min_duration = {PLAN_MIN_MS};
         SET auto_explain.log_analyze = on;
         SET auto_explain.log_buffers = on;
         SET auto_explain.log_level = notice;"
    )))
    .execute(&mut *conn)
    .await
    .context("loading auto_explain")?;
    if let Ok(mut notices) = NOTICES.lock() {
        notices.clear();
    }
    let done = match call {
        Call::Page => {
            app::store::dialogs::list(&mut *conn, access, filter, TZ_OFFSET_MINUTES, None, PAGE)
                .await
                .map(drop)
        }
        Call::Counters => {
            app::store::dialogs::counters(&mut *conn, access, filter, TZ_OFFSET_MINUTES)
                .await
                .map(drop)
        }
    };
    sqlx::raw_sql("SET auto_explain.log_min_duration = -1")
        .execute(&mut *conn)
        .await?;
    done?;
    Ok(NOTICES
        .lock()
        .map(|mut n| std::mem::take(&mut *n))
        .unwrap_or_default())
}
