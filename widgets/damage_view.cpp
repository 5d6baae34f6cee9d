// DamageView: core::jobDamage as a JobRunner job on the resolved device, its result shown as a
// shaded document (damage_figure.h), a colour bar, a details panel and the worst tokens; a
// failure (its message) arrives through the runner, never as an exception crossing into Qt.
#include "widgets/damage_view.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPainter>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSplitter>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextCursor>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "core/project/project.h"
#include "gpu/device.h"
#include "widgets/job_runner.h"

namespace kvwb::widgets {
namespace {

// The text, with a frame drawn around the selected token (its shading kept: a colour of its own
// would read as a value).
class DamageText : public QTextBrowser {
 public:
  using QTextBrowser::QTextBrowser;
  void mark(int from, int to) {
    m_from = from;
    m_to = to;
    viewport()->update();
  }

 protected:
  void paintEvent(QPaintEvent* event) override {
    QTextBrowser::paintEvent(event);
    if (m_to <= m_from) return;
    // One box per line the token covers, from its characters' cursor positions.
    std::vector<QRect> boxes;
    QTextCursor c(document());
    for (int at = m_from; at < m_to; ++at) {
      c.setPosition(at);
      const QRect left = cursorRect(c);
      c.setPosition(at + 1);
      const QRect right = cursorRect(c);
      if (right.top() != left.top()) continue;  // a line break
      const QRect box = left.united(right);
      if (!boxes.empty() && boxes.back().top() == box.top())
        boxes.back() = boxes.back().united(box);
      else
        boxes.push_back(box);
    }
    QPainter p(viewport());
    p.setPen(QPen(Qt::black, 1.5));
    p.setBrush(Qt::NoBrush);
    for (const QRect& box : boxes)
      p.drawRect(QRectF(box).adjusted(-0.5, -1, 0.5, 1));  // neighbours stay readable
  }

 private:
  int m_from = 0, m_to = 0;
};

// The colour bar of the shown shading.
class DamageLegend : public QWidget {
 public:
  explicit DamageLegend(QWidget* parent) : QWidget(parent) {
    setMinimumWidth(48 * fontMetrics().averageCharWidth());
    setFixedHeight(static_cast<int>(std::ceil(colourBarHeight(font()))) + 2);
  }
  void setScale(const DamageScale& scale, DamageMode mode, bool shown) {
    m_scale = scale;
    m_mode = mode;
    m_shown = shown;
    update();
  }

 protected:
  void paintEvent(QPaintEvent*) override {
    if (!m_shown) return;
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    paintColourBar(p, QRectF(rect()).adjusted(0, 0, -1, -2), m_scale, m_mode, font());
  }

 private:
  DamageScale m_scale;
  DamageMode m_mode = DamageMode::Kl;
  bool m_shown = false;
};

QString fileName(const QString& text) {
  QString name = text.simplified();
  name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("_"));
  return name.isEmpty() ? QStringLiteral("damage") : name;
}

}  // namespace

DamageView::DamageView(JobRunner& jobs, QWidget* parent)
    : QWidget(parent),
      m_title(new QLabel(tr("No job measured yet: Analysis → Which Tokens Are Hurt…"), this)),
      m_stats(new QLabel(this)),
      m_status(new QLabel(this)),
      m_modeBox(new QComboBox(this)),
      m_windowBox(new QComboBox(this)),
      m_legend(new DamageLegend(this)),
      m_export(new QPushButton(tr("Export Figure…"), this)),
      m_text(new DamageText(this)),
      m_details(new QTextBrowser(this)),
      m_worstTitle(new QLabel(this)),
      m_worst(new QTreeWidget(this)) {
  m_title->setObjectName(QStringLiteral("title"));
  m_stats->setObjectName(QStringLiteral("stats"));
  m_modeBox->setObjectName(QStringLiteral("modeBox"));
  m_windowBox->setObjectName(QStringLiteral("windowBox"));
  m_text->setObjectName(QStringLiteral("damageText"));
  m_details->setObjectName(QStringLiteral("tokenDetails"));
  m_worst->setObjectName(QStringLiteral("worstTokens"));
  m_export->setObjectName(QStringLiteral("exportFigure"));
  QFont bold = m_title->font();
  bold.setBold(true);
  m_title->setFont(bold);
  m_title->setTextFormat(Qt::PlainText);
  m_stats->setTextFormat(Qt::PlainText);
  m_stats->setWordWrap(true);
  m_stats->setStyleSheet(QStringLiteral("color: #444"));
  m_status->setStyleSheet(QStringLiteral("color: #555"));
  m_modeBox->addItem(damageModeTitle(DamageMode::Kl), static_cast<int>(DamageMode::Kl));
  m_modeBox->addItem(damageModeTitle(DamageMode::DeltaNll), static_cast<int>(DamageMode::DeltaNll));
  m_modeBox->setToolTip(
      tr("KL divergence of the next-token distributions, or ΔNLL = NLL with "
         "compression − NLL without (of the correct token), in nats"));
  connect(m_modeBox, &QComboBox::currentIndexChanged, this,
          [this] { setMode(static_cast<DamageMode>(m_modeBox->currentData().toInt())); });
  m_windowBox->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  connect(m_windowBox, &QComboBox::currentIndexChanged, this,
          [this] { setShownWindow(m_windowBox->currentData().toInt()); });
  m_export->setEnabled(false);
  connect(m_export, &QPushButton::clicked, this, &DamageView::exportInteractively);

  QFont textFont = m_text->font();
  textFont.setPointSizeF(textFont.pointSizeF() * 1.15);
  m_text->document()->setDefaultFont(textFont);
  m_text->setOpenLinks(false);
  m_text->setMouseTracking(true);
  connect(m_text, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
    if (const auto token = tokenFromHref(url)) selectToken(token->first, token->second);
  });
  m_text->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(m_text, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
    QMenu* menu = m_text->createStandardContextMenu(at);
    menu->addSeparator();
    menu->addAction(tr("Export Figure…"), this, &DamageView::exportInteractively)
        ->setEnabled(m_damage.has_value());
    menu->exec(m_text->viewport()->mapToGlobal(at));
    delete menu;
  });
  m_details->setOpenLinks(false);
  m_details->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);  // its text wraps
  m_details->setPlaceholderText(
      tr("Click a token for its top-5 next tokens with and without compression."));
  m_worst->setColumnCount(5);
  m_worst->setRootIsDecorated(false);
  m_worst->setUniformRowHeights(true);
  m_worst->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_worst->header()->setSectionResizeMode(4,
                                          QHeaderView::Stretch);  // the context, elided on the left
  m_worst->setTextElideMode(Qt::ElideLeft);
  connect(m_worst, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
    if (item)
      selectToken(item->data(0, Qt::UserRole).toInt(), item->data(0, Qt::UserRole + 1).toInt());
  });

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Shade by:"), this));
  controls->addWidget(m_modeBox);
  controls->addSpacing(12);
  controls->addWidget(new QLabel(tr("Windows:"), this));
  controls->addWidget(m_windowBox);
  controls->addStretch(1);
  controls->addWidget(m_status);
  controls->addWidget(m_export);
  auto* left = new QWidget(this);
  auto* leftLayout = new QVBoxLayout(left);
  leftLayout->setContentsMargins(0, 0, 0, 0);
  leftLayout->addWidget(m_legend);
  leftLayout->addWidget(m_text, 1);
  auto* right = new QSplitter(Qt::Vertical, this);
  right->addWidget(m_details);
  auto* worstBox = new QWidget(this);
  auto* worstLayout = new QVBoxLayout(worstBox);
  worstLayout->setContentsMargins(0, 0, 0, 0);
  worstLayout->addWidget(m_worstTitle);
  worstLayout->addWidget(m_worst, 1);
  right->addWidget(worstBox);
  right->setStretchFactor(0, 3);  // the details read without scrolling; the list scrolls
  right->setStretchFactor(1, 2);
  auto* body = new QSplitter(Qt::Horizontal, this);
  body->setObjectName(QStringLiteral("damageSplitter"));
  body->addWidget(left);
  body->addWidget(right);
  body->setStretchFactor(0, 3);
  body->setStretchFactor(1, 2);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_title);
  layout->addWidget(m_stats);
  layout->addLayout(controls);
  layout->addWidget(body, 1);
  m_job = new ViewJob(jobs, m_status, tr("measuring"), this);
  connect(m_job, &ViewJob::failed, this, &DamageView::failed);
  rebuild();
}

bool DamageView::busy() const { return m_job->busy(); }

int DamageView::showJob(const std::filesystem::path& project, const std::string& jobKey) {
  return m_job->start(
      tr("Which tokens are hurt"), tr("measuring"), jobKey,
      [project, jobKey](const std::string& device) {
        return [project, jobKey, device](core::JobContext& ctx) {
          return core::jobDamage(core::Project::open(project), jobKey, device, ctx);
        };
      },
      [this](const core::JobDamage& result) {
        setDamage(result);
        Q_EMIT damageShown();
      });
}

void DamageView::setDamage(core::JobDamage damage) {
  m_damage = std::move(damage);
  m_selected.reset();
  m_window = -1;
  m_title->setText(damageTitle(*m_damage));
  m_stats->setText(damageStatsText(*m_damage));
  m_status->clear();
  m_export->setEnabled(true);
  rebuild();
  m_details->clear();
  if (m_worst->topLevelItemCount() > 0) {
    const QTreeWidgetItem* worst = m_worst->topLevelItem(0);
    const QSignalBlocker quiet(m_worst);
    m_worst->setCurrentItem(m_worst->topLevelItem(0));
    m_selected = {worst->data(0, Qt::UserRole).toInt(), worst->data(0, Qt::UserRole + 1).toInt()};
    showSelection();  // scrolled to the worst token
  }
}

void DamageView::setMode(DamageMode mode) {
  if (m_modeBox->currentData().toInt() != static_cast<int>(mode)) {
    m_modeBox->setCurrentIndex(m_modeBox->findData(static_cast<int>(mode)));  // comes back here
    return;
  }
  if (mode == m_mode) return;
  m_mode = mode;
  const int scroll = m_text->verticalScrollBar()->value();
  rebuild();
  m_text->verticalScrollBar()->setValue(scroll);
}

void DamageView::setShownWindow(int window) {
  if (m_windowBox->currentData().toInt() != window) {
    const int index = m_windowBox->findData(window);
    if (index >= 0) m_windowBox->setCurrentIndex(index);  // comes back here
    return;
  }
  if (window == m_window) return;
  m_window = window;
  rebuildText();  // the worst list stays (it may be what asked for every window)
}

void DamageView::rebuildText() {
  m_spans = fillDamageDocument(*m_text->document(), figure());
  showSelection();
}

void DamageView::rebuild() {
  m_text->setPlaceholderText(m_damage
                                 ? QString()
                                 : tr("The continuation text of a job's quality windows, each "
                                      "token shaded by how much the compressed cache hurts it."));
  static_cast<DamageLegend*>(m_legend)->setScale(
      m_damage ? DamageScale::of(*m_damage, m_mode) : DamageScale{}, m_mode, m_damage.has_value());
  {
    const QSignalBlocker quiet(m_windowBox);
    m_windowBox->clear();
    m_windowBox->addItem(tr("all"), -1);
    if (m_damage)
      for (std::size_t w = 0; w < m_damage->windows.size(); ++w)
        m_windowBox->addItem(tr("window %1").arg(w + 1), static_cast<int>(w));
    m_windowBox->setCurrentIndex(std::max(0, m_windowBox->findData(m_window)));
  }
  fillWorstList();
  rebuildText();
}

void DamageView::fillWorstList() {
  const QSignalBlocker quiet(m_worst);
  m_worst->clear();
  m_worstTitle->setText(tr("The %1 worst tokens by %2 (click to show)")
                            .arg(kWorstShown)
                            .arg(damageModeTitle(m_mode)));
  m_worst->setHeaderLabels(
      {tr("#"), damageModeShortTitle(m_mode), tr("token"), tr("window"), tr("text before it")});
  if (!m_damage) return;
  std::vector<std::pair<int, int>> all;
  for (std::size_t w = 0; w < m_damage->windows.size(); ++w)
    for (std::size_t i = 0; i < m_damage->windows[w].tokens.size(); ++i)
      all.emplace_back(static_cast<int>(w), static_cast<int>(i));
  const auto value = [this](const std::pair<int, int>& t) {
    return damageValue(m_damage->windows[static_cast<std::size_t>(t.first)]
                           .tokens[static_cast<std::size_t>(t.second)],
                       m_mode);
  };
  const auto n = std::min<std::size_t>(kWorstShown, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    [&](const auto& a, const auto& b) { return value(a) > value(b); });
  const DamageScale scale = DamageScale::of(*m_damage, m_mode);
  for (std::size_t r = 0; r < n; ++r) {
    const auto [w, i] = all[r];
    const core::DamagedToken& t =
        m_damage->windows[static_cast<std::size_t>(w)].tokens[static_cast<std::size_t>(i)];
    QString text = QString::fromStdString(t.text).replace(QLatin1Char('\n'), QStringLiteral("⏎"));
    auto* item = new QTreeWidgetItem(
        m_worst, {QString::number(r + 1), QString::number(value(all[r]), 'f', 3), text,
                  QString::number(w + 1), textBefore(*m_damage, t)});
    item->setData(0, Qt::UserRole, w);
    item->setData(0, Qt::UserRole + 1, i);
    item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
    const QColor background = scale.colour(value(all[r]));
    item->setBackground(2, background);
    item->setForeground(2, textColourOn(background));
    item->setToolTip(2, tokenToolTip(t));
    if (m_selected && *m_selected == all[r]) m_worst->setCurrentItem(item);
  }
}

const TokenSpan* DamageView::spanOf(int window, int index) const {
  const auto it = std::find_if(m_spans.begin(), m_spans.end(), [&](const TokenSpan& s) {
    return s.window == window && s.index == index;
  });
  return it == m_spans.end() ? nullptr : &*it;
}

void DamageView::selectToken(int window, int index) {
  if (!m_damage || window < 0 || window >= static_cast<int>(m_damage->windows.size()) ||
      index < 0 ||
      index >= static_cast<int>(m_damage->windows[static_cast<std::size_t>(window)].tokens.size()))
    return;
  m_selected = {window, index};
  if (!spanOf(window, index)) setShownWindow(-1);  // its window is hidden: show them all
  showSelection();
  // The list follows a click in the text.
  const QSignalBlocker quiet(m_worst);
  m_worst->setCurrentItem(nullptr);
  for (int r = 0; r < m_worst->topLevelItemCount(); ++r) {
    QTreeWidgetItem* item = m_worst->topLevelItem(r);
    if (item->data(0, Qt::UserRole).toInt() == window &&
        item->data(0, Qt::UserRole + 1).toInt() == index)
      m_worst->setCurrentItem(item);
  }
}

void DamageView::showSelection() {
  const TokenSpan* span = m_selected ? spanOf(m_selected->first, m_selected->second) : nullptr;
  static_cast<DamageText*>(m_text)->mark(span ? span->shaded : 0, span ? span->end : 0);
  if (!span) return;
  QTextCursor at(m_text->document());
  at.setPosition(span->start);
  m_text->setTextCursor(at);
  m_text->ensureCursorVisible();
  const auto& token = m_damage->windows[static_cast<std::size_t>(span->window)]
                          .tokens[static_cast<std::size_t>(span->index)];
  m_details->setHtml(tokenDetailsHtml(*m_damage, token));
}

QString DamageView::tokenText(int window, int index) const {
  const TokenSpan* span = spanOf(window, index);
  if (!span) return {};
  QTextCursor c(m_text->document());
  c.setPosition(span->start);
  c.setPosition(span->end, QTextCursor::KeepAnchor);
  return c.selectedText().replace(QChar::ParagraphSeparator, QLatin1Char('\n'));
}

QColor DamageView::tokenColour(int window, int index) const {
  const TokenSpan* span = spanOf(window, index);
  if (!span) return {};
  QTextCursor c(m_text->document());
  c.setPosition(span->shaded + 1);  // the format of the character before: the token's first shaded
  return c.charFormat().background().color();
}

QRect DamageView::tokenRect(int window, int index) const {
  const TokenSpan* span = spanOf(window, index);
  if (!span) return {};
  QTextCursor c(m_text->document());  // the first shaded character's box
  c.setPosition(span->shaded);
  const QRect a = m_text->cursorRect(c);
  c.setPosition(span->shaded + 1);
  const QRect b = m_text->cursorRect(c);
  return a.united(b);
}

bool DamageView::exportFigure(const QString& path, const FigureOptions& options,
                              QString* error) const {
  bool known = false;
  const FigureFormat format = figureFormat(QFileInfo(path).suffix(), &known);
  if (!known) {
    if (error) *error = tr("%1: the file name must end in .pdf, .svg or .png").arg(path);
    return false;
  }
  return exportDamageFigure(figure(), path, format, options, error);
}

void DamageView::exportInteractively() {
  if (!m_damage) return;
  exportDamageFigureInteractively(figure(),
                                  fileName(QStringLiteral("damage_%1_%2")
                                               .arg(QString::fromStdString(m_damage->method),
                                                    QString::fromStdString(m_damage->paramsText))),
                                  this);
}

}  // namespace kvwb::widgets
