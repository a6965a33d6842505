//! Emoji (E4): the picker's popular set with English and Russian names and keywords, its
//! search, the rule for a user's recent emoji, and which strings count as an emoji.
//!
//! The set is one text table, read line by line when needed: no allocation for the data and
//! no parsing at start-up, so the browser bundle grows by little more than the text itself.

use crate::domain::Locale;

/// How many recent emoji a user keeps (the picker's first row).
pub const RECENT: usize = 18;

/// An emoji outside the set is accepted up to this many code points (enough for a family
/// or a profession with a skin tone joined by ZWJ, far too short for a word)…
pub const MAX_CHARS: usize = 8;
/// …and this many bytes.
pub const MAX_BYTES: usize = 32;

/// The picker's groups, in the order shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Smileys,
    People,
    Symbols,
    Objects,
    Nature,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Smileys,
        Category::People,
        Category::Symbols,
        Category::Objects,
        Category::Nature,
    ];

    fn id(self) -> &'static str {
        match self {
            Category::Smileys => "smileys",
            Category::People => "people",
            Category::Symbols => "symbols",
            Category::Objects => "objects",
            Category::Nature => "nature",
        }
    }

    fn from_id(id: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.id() == id)
    }

    /// Translation key of the group's title.
    pub fn label_key(self) -> &'static str {
        match self {
            Category::Smileys => "emoji.category.smileys",
            Category::People => "emoji.category.people",
            Category::Symbols => "emoji.category.symbols",
            Category::Objects => "emoji.category.objects",
            Category::Nature => "emoji.category.nature",
        }
    }
}

/// One emoji of the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emoji {
    pub emoji: &'static str,
    pub category: Category,
    en_name: &'static str,
    en_keywords: &'static str,
    ru_name: &'static str,
    ru_keywords: &'static str,
}

impl Emoji {
    /// What a screen reader says for it.
    pub fn name(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::En => self.en_name,
            Locale::Ru => self.ru_name,
        }
    }

    /// Every word of a normalised query starts a word of its names or keywords, in either
    /// language; or the query is the emoji itself.
    fn matches(&self, terms: &[String]) -> bool {
        if let [only] = terms
            && same_emoji(only, self.emoji)
        {
            return true;
        }
        let words = || {
            [
                self.en_name,
                self.en_keywords,
                self.ru_name,
                self.ru_keywords,
            ]
            .into_iter()
            .flat_map(|f| f.split([' ', '-']))
        };
        terms
            .iter()
            .all(|term| words().any(|word| word.starts_with(term.as_str())))
    }
}

/// The set: `#group` lines, then `emoji|English name|keywords|Russian name|keywords`, all in
/// lower case and with "е" for "ё" (the search folds both).
const SET: &str = "\
#smileys
😀|grinning face|smile happy joy|улыбка до ушей|смайл радость счастье
😃|smiling face with big eyes|smile happy joy|широкая улыбка|смайл радость
😄|smiling face with smiling eyes|smile happy laugh|улыбка с прищуром|смайл радость смех
😁|beaming face|grin smile happy|сияющее лицо|улыбка радость
😆|laughing face|laugh lol happy|смех|хохот смешно лол
😅|grinning face with sweat|phew relief nervous|улыбка с потом|фух облегчение нервы
🤣|rolling on the floor laughing|rofl lol laugh|катаюсь от смеха|смех хохот ржу
😂|face with tears of joy|laugh lol cry funny|слезы от смеха|смех хохот лол смешно
🙂|slightly smiling face|smile ok fine|легкая улыбка|улыбка ок хорошо
🙃|upside-down face|silly sarcasm irony|перевернутое лицо|сарказм ирония шутка
😉|winking face|wink joke flirt|подмигивание|подмигнуть шутка
😊|smiling face with rosy cheeks|blush smile happy thanks|улыбка с румянцем|смущение радость спасибо
😇|smiling face with halo|angel innocent|ангел|нимб невинный
🥰|smiling face with hearts|love adore|улыбка с сердечками|любовь обожаю
😍|heart eyes|love like crush|влюбленные глаза|любовь нравится
🤩|star-struck|wow amazing excited|в восторге|звезды вау супер восторг
😘|face blowing a kiss|kiss love|воздушный поцелуй|поцелуй чмок любовь
😋|face savoring food|yum tasty delicious|вкусно|ням еда
😜|winking face with tongue|joke playful tease|подмигивание с языком|шутка дразнить
🤪|zany face|crazy wild goofy|безумное лицо|псих дурачусь
🤗|hugging face|hug thanks welcome|объятия|обнимаю спасибо
🤭|face with hand over mouth|oops giggle|рука у рта|ой хихикать
🤫|shushing face|quiet secret shh|тише|тсс секрет
🤔|thinking face|think hmm question|задумчивость|думаю хм вопрос
🤨|face with raised eyebrow|doubt skeptical suspicious|поднятая бровь|сомнение скепсис
😐|neutral face|meh neutral|нейтральное лицо|равнодушие
😏|smirking face|smirk sly|ухмылка|хитрый
😒|unamused face|meh bored annoyed|недовольство|скучно раздражение
🙄|face with rolling eyes|eyeroll annoyed|закатывает глаза|раздражение
😬|grimacing face|awkward oops|гримаса|неловко ой
😌|relieved face|relief calm|облегчение|спокойствие
😔|pensive face|sad thoughtful|задумчивая грусть|грусть печаль
😴|sleeping face|sleep zzz tired|спит|сон усталость
😷|face with medical mask|sick mask ill|лицо в маске|болею медицина
🤒|face with thermometer|sick fever ill|лицо с градусником|болею температура
🤧|sneezing face|sneeze cold sick|чихание|простуда болею
🥵|hot face|hot heat sweat|жарко|жара пот
🥶|cold face|cold freezing|холодно|мороз замерз
🤯|exploding head|mind blown shocked wow|взрыв мозга|шок вау
🥳|partying face|party celebrate birthday|праздник|вечеринка день рождения
😎|smiling face with sunglasses|cool sunglasses|крутой|очки круто
🤓|nerd face|nerd geek smart|ботаник|умник
🧐|face with monocle|inspect curious|лицо с моноклем|изучаю любопытство
😕|confused face|confused unsure|растерянность|непонятно
😟|worried face|worry concern|беспокойство|тревога волнуюсь
😮|face with open mouth|surprise wow oh|открытый рот|удивление ого
😲|astonished face|shocked surprise|изумление|шок удивление
😳|flushed face|embarrassed shy|смущение|стыд неловко
🥺|pleading face|please puppy eyes|умоляющий взгляд|пожалуйста просьба
😨|fearful face|fear scared|страх|испуг
😰|anxious face with sweat|anxious nervous|тревога|нервы пот
😢|crying face|cry sad tear|слеза|плачу грусть
😭|loudly crying face|cry sob sad|рыдания|плачу грусть
😱|face screaming in fear|scream scared shock|крик ужаса|ужас шок
😡|pouting face|angry rage mad|ярость|злость гнев
😠|angry face|angry mad|сердитое лицо|злость
😈|smiling face with horns|devil evil|дьявол|черт зло
💀|skull|dead skull|череп|смерть умер
💩|pile of poo|poop|какашка|фу
🤖|robot|robot bot|робот|бот
#people
👍|thumbs up|like yes ok agree good|палец вверх|лайк да ок согласен хорошо класс
👎|thumbs down|dislike no bad|палец вниз|дизлайк нет плохо
👌|ok hand|ok fine perfect|жест ок|хорошо отлично
✌️|victory hand|peace victory|победа|мир
🤞|crossed fingers|luck hope|скрещенные пальцы|удача надежда
🤟|love-you gesture|love you|жест люблю|люблю
🤘|sign of the horns|rock metal|коза|рок
🤙|call me hand|call phone|позвони мне|звонок
👈|backhand index pointing left|left point|указывает влево|влево
👉|backhand index pointing right|right point|указывает вправо|вправо
👆|backhand index pointing up|up point|указывает вверх|вверх
👇|backhand index pointing down|down point|указывает вниз|вниз
☝️|index pointing up|attention one|указательный палец|внимание один
✋|raised hand|stop hand high five|поднятая рука|стоп ладонь
👋|waving hand|hello hi bye wave|машет рукой|привет пока
🖐️|hand with fingers splayed|hand five|растопыренная ладонь|пять рука
👏|clapping hands|applause bravo clap|аплодисменты|браво хлопать
🙌|raising hands|hooray celebrate|руки вверх|ура
👐|open hands|hug open|раскрытые ладони|объятия
🤲|palms up together|please pray|ладони вверх|просьба
🤝|handshake|deal agreement partner|рукопожатие|сделка договорились
🙏|folded hands|please thanks pray|сложенные ладони|пожалуйста спасибо молитва
✍️|writing hand|write sign|пишущая рука|пишу подпись
💪|flexed biceps|strong power|бицепс|сила сильный
👀|eyes|look see watch|глаза|смотрю вижу
🧠|brain|brain smart think|мозг|умный думать
👤|bust in silhouette|user person|силуэт|пользователь человек
👥|busts in silhouette|users people team|силуэты|пользователи люди команда
🙋|person raising hand|question hello|поднятая рука|вопрос привет
🤷|person shrugging|shrug dunno|пожимает плечами|не знаю
🤦|person facepalming|facepalm|рука-лицо|фейспалм
🙅|person gesturing no|no stop|жест нет|нет стоп
🙆|person gesturing ok|ok yes|жест да|да хорошо
💁|person tipping hand|info help|подсказка|информация помощь
🧑‍💻|technologist|developer coder laptop|программист|разработчик компьютер
👨‍💼|man office worker|manager business|офисный работник|менеджер бизнес
👩‍💼|woman office worker|manager business|офисная работница|менеджер бизнес
🧑‍🔧|mechanic|repair fix support|механик|ремонт починка
🕵️|detective|investigate search|детектив|расследование поиск
🏃|person running|run hurry fast|бегущий человек|бегу спешу быстро
🚶|person walking|walk|пешеход|иду
👶|baby|baby child|малыш|ребенок
👪|family|family|семья|родные
#symbols
❤️|red heart|love heart like|красное сердце|любовь сердце
🧡|orange heart|love|оранжевое сердце|любовь
💛|yellow heart|love|желтое сердце|любовь
💚|green heart|love|зеленое сердце|любовь
💙|blue heart|love|синее сердце|любовь
💜|purple heart|love|фиолетовое сердце|любовь
🖤|black heart|love|черное сердце|любовь
🤍|white heart|love|белое сердце|любовь
💔|broken heart|sad breakup|разбитое сердце|грусть
💕|two hearts|love|два сердца|любовь
💖|sparkling heart|love|сверкающее сердце|любовь
💯|hundred points|perfect 100 score|сто баллов|идеально сто
✅|check mark button|done yes ok complete|галочка|готово да сделано выполнено
✔️|check mark|done yes|отметка|готово да
❌|cross mark|no wrong cancel delete|крестик|нет ошибка отмена
❗|exclamation mark|important warning|восклицательный знак|важно внимание
❓|question mark|question help|вопросительный знак|вопрос
‼️|double exclamation mark|urgent important|двойной восклицательный знак|срочно важно
⁉️|exclamation question mark|what surprise|восклицательный и вопросительный знак|что удивление
⚠️|warning|warning caution attention|предупреждение|внимание осторожно
⛔|no entry|stop forbidden|въезд запрещен|стоп запрещено
🚫|prohibited|forbidden no ban|запрещено|нельзя бан
🔥|fire|fire hot lit|огонь|пожар горячо круто
✨|sparkles|sparkle new shiny magic|блестки|новое магия
⭐|star|star favorite|звезда|избранное
🌟|glowing star|star shine|сияющая звезда|звезда
💥|collision|boom bang|взрыв|бум
💬|speech balloon|comment chat message|облачко речи|комментарий чат сообщение
💭|thought balloon|thought think|облачко мысли|мысль думаю
🔔|bell|notification bell|колокольчик|уведомление
🔕|bell with slash|mute silent|перечеркнутый колокольчик|без звука
➕|plus|add plus|плюс|добавить
➖|minus|minus remove|минус|убрать
➡️|right arrow|next right|стрелка вправо|далее вправо
⬅️|left arrow|back left|стрелка влево|назад влево
⬆️|up arrow|up|стрелка вверх|вверх
⬇️|down arrow|down|стрелка вниз|вниз
🔄|counterclockwise arrows|refresh sync repeat|стрелки по кругу|обновить обновление повтор
🆗|ok button|ok|кнопка ок|хорошо
🆕|new button|new|кнопка новое|новый
🆘|sos button|help emergency|сос|помощь срочно
🔴|red circle|red|красный круг|красный
🟡|yellow circle|yellow|желтый круг|желтый
🟢|green circle|green|зеленый круг|зеленый
🔵|blue circle|blue|синий круг|синий
🎉|party popper|party congratulations celebrate tada|хлопушка|праздник поздравляю ура
🎊|confetti ball|party celebrate|конфетти|праздник
🎁|wrapped gift|gift present|подарок|сюрприз
🏆|trophy|win award|кубок|победа награда
🥇|first place medal|gold first|золотая медаль|первое место
🎯|direct hit|target goal|мишень|цель
#objects
💼|briefcase|work business|портфель|работа бизнес
📁|file folder|folder files|папка|файлы
📄|page facing up|document page|документ|страница
📎|paperclip|attachment attach|скрепка|вложение
📌|pushpin|pin important|канцелярская кнопка|закрепить важно
📍|round pushpin|location place address|метка|место адрес
📝|memo|note write|записка|заметка записать
✏️|pencil|edit write|карандаш|редактировать писать
📅|calendar|date schedule|календарь|дата расписание
🗓️|spiral calendar|plan schedule|календарь на спирали|план
📊|bar chart|chart stats report|столбчатая диаграмма|график статистика отчет
📈|chart increasing|growth up|растущий график|рост
📉|chart decreasing|decline down|падающий график|падение
📋|clipboard|list tasks|планшет|список задачи
📦|package|delivery box parcel|посылка|доставка коробка
🚚|delivery truck|delivery shipping|грузовик|доставка
✉️|envelope|mail email letter|конверт|почта письмо
📧|e-mail|email mail|электронная почта|имейл письмо
📨|incoming envelope|mail inbox|входящее письмо|почта
📞|telephone receiver|phone call|телефонная трубка|телефон звонок
📱|mobile phone|phone mobile smartphone|мобильный телефон|смартфон
💻|laptop|computer laptop|ноутбук|компьютер
🖥️|desktop computer|computer monitor|компьютер|монитор
⌨️|keyboard|keyboard type|клавиатура|печать
🖨️|printer|print|принтер|печать
🔍|magnifying glass|search find|лупа|поиск найти
🔒|locked|lock secure private|замок|закрыто безопасно
🔓|unlocked|unlock open|открытый замок|открыто
🔑|key|key password access|ключ|пароль доступ
🔗|link|link url|ссылка|линк
⚙️|gear|settings gear|шестеренка|настройки
🛠️|hammer and wrench|tools fix repair|инструменты|ремонт починка
🔧|wrench|fix tool|гаечный ключ|починка
🐞|lady beetle|bug error|божья коровка|баг ошибка
💡|light bulb|idea tip|лампочка|идея совет
💰|money bag|money|мешок денег|деньги
💳|credit card|card payment pay|кредитная карта|карта оплата
💵|dollar banknote|money cash|доллары|деньги наличные
🧾|receipt|invoice bill|чек|счет квитанция
🏷️|label|tag price|ярлык|тег цена
🛒|shopping cart|cart shop buy|тележка|корзина покупка магазин
⏰|alarm clock|alarm time|будильник|время
⏳|hourglass not done|wait time loading|песочные часы|ждать время
🕐|one o'clock|time clock|час|время часы
🚀|rocket|launch fast start|ракета|запуск быстро
📢|loudspeaker|announcement|громкоговоритель|объявление
🎧|headphone|support music|наушники|поддержка музыка
🏠|house|home|дом|домой
🏢|office building|office company|офисное здание|офис компания
⚡|high voltage|fast lightning|молния|быстро
#nature
☕|hot beverage|coffee tea break|горячий напиток|кофе чай перерыв
🍵|teacup without handle|tea green|чашка чая|чай
🍰|shortcake|cake dessert|пирожное|торт десерт
🎂|birthday cake|birthday cake|торт на день рождения|день рождения торт
🍕|pizza|pizza food|пицца|еда
🍔|hamburger|burger food|гамбургер|бургер еда
🍎|red apple|apple fruit|красное яблоко|яблоко фрукт
🍌|banana|banana fruit|банан|фрукт
🍓|strawberry|berry fruit|клубника|ягода
🍉|watermelon|fruit summer|арбуз|лето
🍋|lemon|lemon sour|лимон|кислый
🍫|chocolate bar|chocolate sweet|шоколад|сладкое
🍪|cookie|cookie biscuit|печенье|сладкое
🍩|doughnut|donut sweet|пончик|сладкое
🍺|beer mug|beer drink|кружка пива|пиво
🍷|wine glass|wine drink|бокал вина|вино
🥂|clinking glasses|cheers toast celebrate|бокалы|тост праздник
🍾|bottle with popping cork|champagne celebrate|шампанское|праздник
🌸|cherry blossom|flower spring|цветок сакуры|цветок весна
🌹|rose|flower love|роза|цветок любовь
🌷|tulip|flower spring|тюльпан|цветок весна
🌻|sunflower|flower summer|подсолнух|цветок лето
💐|bouquet|flowers gift|букет|цветы подарок
🌱|seedling|plant grow new|росток|растение рост
🌳|deciduous tree|tree nature|дерево|природа
🍀|four leaf clover|luck|клевер|удача
🍁|maple leaf|autumn fall|кленовый лист|осень
☀️|sun|sunny weather|солнце|солнечно погода
☁️|cloud|cloudy weather|облако|облачно погода
🌧️|cloud with rain|rain weather|дождь|погода
❄️|snowflake|snow winter cold|снежинка|снег зима холод
⛄|snowman|winter snow|снеговик|зима снег
🌈|rainbow|rainbow|радуга|радуга
🌙|crescent moon|moon night|месяц|луна ночь
🌍|globe|world earth|глобус|мир земля
🐱|cat face|cat kitten|кошка|кот котик
🐶|dog face|dog puppy|собака|пес щенок
🦊|fox|fox|лиса|лисичка
🐻|bear|bear|медведь|мишка
🐼|panda|panda|панда|панда
🦄|unicorn|unicorn magic|единорог|магия
🐝|honeybee|bee busy|пчела|трудолюбие
🦋|butterfly|butterfly|бабочка|бабочка
🐢|turtle|slow|черепаха|медленно
";

/// Every emoji of the set, in the picker's order.
pub fn all() -> impl Iterator<Item = Emoji> {
    let mut category = Category::Smileys;
    SET.lines().filter_map(move |line| {
        if let Some(id) = line.strip_prefix('#') {
            category = Category::from_id(id).unwrap_or(category);
            return None;
        }
        let mut fields = line.split('|');
        Some(Emoji {
            emoji: fields.next().filter(|e| !e.is_empty())?,
            category,
            en_name: fields.next()?,
            en_keywords: fields.next()?,
            ru_name: fields.next()?,
            ru_keywords: fields.next()?,
        })
    })
}

/// The emoji of the set matching a query in English or Russian (each word of the query
/// starts a word of a name or keyword; "ё" finds "е"). An empty query matches all.
pub fn search(query: &str) -> impl Iterator<Item = Emoji> {
    let terms: Vec<String> = query
        .to_lowercase()
        .replace('ё', "е")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    all().filter(move |e| e.matches(&terms))
}

/// The same emoji, with or without the emoji presentation selector (U+FE0F), which
/// keyboards add or drop at will.
fn same_emoji(a: &str, b: &str) -> bool {
    fn plain(s: &str) -> impl Iterator<Item = char> + '_ {
        s.chars().filter(|c| *c != '\u{FE0F}')
    }
    plain(a).eq(plain(b))
}

/// The set's entry for an emoji, if it is one of them.
pub fn find(emoji: &str) -> Option<Emoji> {
    all().find(|e| same_emoji(e.emoji, emoji))
}

/// The recent list after using `used`: it goes first, nothing twice, at most [`RECENT`].
pub fn remember(recent: &[String], used: &str) -> Vec<String> {
    let mut list: Vec<String> = Vec::with_capacity(RECENT);
    for emoji in std::iter::once(used).chain(recent.iter().map(String::as_str)) {
        if list.len() == RECENT {
            break;
        }
        if !list.iter().any(|kept| same_emoji(kept, emoji)) {
            list.push(emoji.to_owned());
        }
    }
    list
}

/// An emoji a user may use: one of the set (given in the set's own spelling), or a short
/// string of emoji code points only (other pictographs, flags, skin tones, ZWJ sequences).
/// Letters, digits, spaces and markup are refused.
pub fn parse(input: &str) -> Result<String, &'static str> {
    const INVALID: &str = "emoji.error.invalid";
    if let Some(known) = find(input) {
        return Ok(known.emoji.to_owned());
    }
    if input.is_empty() || input.len() > MAX_BYTES || input.chars().count() > MAX_CHARS {
        return Err(INVALID);
    }
    let mut has_picture = false;
    for c in input.chars() {
        if is_pictograph(c) {
            has_picture = true;
        } else if !is_emoji_modifier(c) {
            return Err(INVALID);
        }
    }
    if has_picture {
        Ok(input.to_owned())
    } else {
        Err(INVALID)
    }
}

/// Code points that draw an emoji on their own.
fn is_pictograph(c: char) -> bool {
    matches!(
        u32::from(c),
        // Mahjong, cards, enclosed, pictographs, emoticons, transport, supplemental…
        // (skin tones are modifiers, below)
        0x1F000..=0x1F3FA
            | 0x1F400..=0x1FAFF
            | 0x2190..=0x21FF // arrows
            | 0x2300..=0x23FF // technical: watch, hourglass, keyboard
            | 0x25A0..=0x25FF // geometric shapes
            | 0x2600..=0x27BF // symbols and dingbats
            | 0x2934..=0x2935
            | 0x2B00..=0x2BFF // arrows, stars, circles
            | 0x00A9
            | 0x00AE
            | 0x203C
            | 0x2049
            | 0x2122
            | 0x2139
            | 0x24C2
            | 0x3030
            | 0x303D
            | 0x3297
            | 0x3299
    )
}

/// Code points that only join or change a pictograph: ZWJ, variation selectors, the keycap
/// mark, skin tones and the tags of subdivision flags.
fn is_emoji_modifier(c: char) -> bool {
    matches!(
        u32::from(c),
        0x200D | 0xFE0E | 0xFE0F | 0x20E3 | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_line_of_the_set_is_a_complete_entry() {
        let mut category_lines = 0;
        for line in SET.lines() {
            if let Some(id) = line.strip_prefix('#') {
                assert!(Category::from_id(id).is_some(), "unknown group {id}");
                category_lines += 1;
                continue;
            }
            let fields: Vec<&str> = line.split('|').collect();
            assert_eq!(fields.len(), 5, "{line}");
            assert!(fields.iter().all(|f| !f.is_empty()), "{line}");
            assert!(
                fields.iter().all(|f| f.trim() == *f),
                "spaces around fields: {line}"
            );
        }
        assert_eq!(category_lines, Category::ALL.len());
        assert_eq!(all().count(), SET.lines().count() - category_lines);
    }

    #[test]
    fn the_set_is_a_popular_few_hundred_in_every_group_without_repeats() {
        let set: Vec<Emoji> = all().collect();
        assert!((150..=250).contains(&set.len()), "{} emoji", set.len());
        for category in Category::ALL {
            assert!(
                set.iter().filter(|e| e.category == category).count() >= 20,
                "{category:?} is thin"
            );
        }
        for (i, e) in set.iter().enumerate() {
            assert!(
                !set[..i]
                    .iter()
                    .any(|other| same_emoji(other.emoji, e.emoji)),
                "{} twice",
                e.emoji
            );
        }
    }

    #[test]
    fn the_set_is_written_the_way_the_search_reads_queries() {
        for e in all() {
            for text in [e.en_name, e.en_keywords, e.ru_name, e.ru_keywords] {
                assert_eq!(text, text.to_lowercase(), "{}", e.emoji);
                assert!(!text.contains('ё'), "{} writes ё", e.emoji);
            }
            assert!(e.en_name.is_ascii(), "{}: English name", e.emoji);
            assert!(
                e.ru_name.chars().any(|c| ('а'..='я').contains(&c)),
                "{}: Russian name",
                e.emoji
            );
        }
    }

    #[test]
    fn every_emoji_of_the_set_would_be_accepted_on_its_own_merits_too() {
        for e in all() {
            assert!(e.emoji.len() <= MAX_BYTES, "{}", e.emoji);
            assert!(e.emoji.chars().count() <= MAX_CHARS, "{}", e.emoji);
            assert!(
                e.emoji
                    .chars()
                    .all(|c| is_pictograph(c) || is_emoji_modifier(c)),
                "{} has a code point the validator refuses",
                e.emoji
            );
        }
    }

    #[test]
    fn search_finds_by_english_and_russian_words_and_their_beginnings() {
        let found = |q: &str| search(q).map(|e| e.emoji).collect::<Vec<_>>();
        assert!(found("thumbs").contains(&"👍"));
        assert!(found("Thumbs UP").contains(&"👍"));
        assert!(found("палец вверх").contains(&"👍"));
        assert!(found("спасибо").contains(&"🙏"));
        assert!(found("спасиб").contains(&"🙏"));
        assert!(found("heart").contains(&"❤️"));
        assert!(found("сердце").contains(&"❤️"));
        assert!(found("ёлка").is_empty());
        // "ё" typed by the user finds the set's "е".
        assert!(found("зелёное").contains(&"💚"));
        // Every word must match: "thumbs down" is not "thumbs up".
        assert_eq!(found("thumbs down"), vec!["👎"]);
        assert!(found("zzzzqqq").is_empty());
    }

    #[test]
    fn search_matches_word_beginnings_not_the_middle_of_words() {
        // "ok" is a word of 👍 and 👌, but not a piece of "broken heart".
        let found: Vec<&str> = search("ok").map(|e| e.emoji).collect();
        assert!(found.contains(&"👌"));
        assert!(!found.contains(&"💔"));
    }

    #[test]
    fn an_empty_query_shows_the_whole_set_and_the_emoji_itself_finds_itself() {
        assert_eq!(search("").count(), all().count());
        assert_eq!(search("   ").count(), all().count());
        let found: Vec<&str> = search("❤").map(|e| e.emoji).collect();
        assert_eq!(found, vec!["❤️"]);
    }

    #[test]
    fn names_follow_the_language() {
        let thumbs = find("👍").expect("in the set");
        assert_eq!(thumbs.name(Locale::En), "thumbs up");
        assert_eq!(thumbs.name(Locale::Ru), "палец вверх");
        assert_eq!(thumbs.category, Category::People);
        assert!(find("🦖").is_none());
    }

    #[test]
    fn remembering_puts_the_emoji_first_without_repeats() {
        assert_eq!(remember(&[], "👍"), strings(&["👍"]));
        assert_eq!(
            remember(&strings(&["😀", "👍", "🙏"]), "👍"),
            strings(&["👍", "😀", "🙏"])
        );
        assert_eq!(
            remember(&strings(&["😀", "🙏"]), "🔥"),
            strings(&["🔥", "😀", "🙏"])
        );
        // The same emoji with and without its presentation selector is one emoji.
        assert_eq!(remember(&strings(&["❤"]), "❤️"), strings(&["❤️"]));
        // A list that somehow holds a repeat comes back clean.
        assert_eq!(
            remember(&strings(&["😀", "😀", "🙏"]), "🔥"),
            strings(&["🔥", "😀", "🙏"])
        );
    }

    #[test]
    fn remembering_keeps_at_most_eighteen_and_drops_the_oldest() {
        let full: Vec<String> = all().take(RECENT).map(|e| e.emoji.to_owned()).collect();
        let after = remember(&full, "🐢");
        assert_eq!(after.len(), RECENT);
        assert_eq!(after[0], "🐢");
        assert_eq!(after[1..], full[..RECENT - 1]);
        // Using one already in a full list only moves it.
        let again = remember(&full, &full[10]);
        assert_eq!(again.len(), RECENT);
        assert_eq!(again[0], full[10]);
        assert!(full.iter().all(|e| again.contains(e)));
    }

    #[test]
    fn the_set_and_other_emoji_are_accepted_in_the_sets_spelling() {
        assert_eq!(parse("👍"), Ok("👍".to_owned()));
        assert_eq!(parse("❤"), Ok("❤️".to_owned()));
        // Outside the set: a dinosaur, a flag, a skin tone, a ZWJ family.
        assert_eq!(parse("🦖"), Ok("🦖".to_owned()));
        assert_eq!(parse("🇷🇺"), Ok("🇷🇺".to_owned()));
        assert_eq!(parse("👍🏽"), Ok("👍🏽".to_owned()));
        assert_eq!(parse("👨‍👩‍👧‍👦"), Ok("👨‍👩‍👧‍👦".to_owned()));
    }

    #[test]
    fn text_markup_and_long_strings_are_not_emoji() {
        for bad in [
            "",
            " ",
            "a",
            "ok",
            "👍a",
            " 👍",
            "<b>",
            "<script>👍</script>",
            "привет",
            "1",
            "\u{200D}",
            "\u{FE0F}",
            "🏽",
            "👍👍👍👍👍👍👍👍👍",
            "\n",
        ] {
            assert_eq!(parse(bad), Err("emoji.error.invalid"), "{bad:?}");
        }
    }
}
