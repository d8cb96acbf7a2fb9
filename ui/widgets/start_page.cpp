#include "widgets/start_page.h"

#include "icons.h"
#include "widgets/line_edit_buttons.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace qs {

StartPage::StartPage(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("startPage"));
    auto* outer = new QVBoxLayout(this);
    outer->addStretch(2);
    auto* centre = new QHBoxLayout;
    outer->addLayout(centre);
    outer->addStretch(3);
    centre->addStretch(1);
    auto* card = new QWidget(this);
    card->setObjectName(QStringLiteral("startCard"));
    card->setMaximumWidth(760);
    card->setMinimumWidth(560);
    card->setAttribute(Qt::WA_StyledBackground, true);
    card->setStyleSheet(QStringLiteral(
        "#startCard { background: white; border: 1px solid #e2e8f0; border-radius: 10px; }"
        "#startCard QPushButton { padding: 5px 12px; }"
        "#startCard QPushButton#startDemo { background: #0ea5e9; color: white; border: 1px solid #0284c7;"
        " border-radius: 4px; font-weight: 600; }"
        "#startCard QPushButton#startDemo:hover { background: #0284c7; }"
        "#startCard QPushButton#startDemo:disabled { background: #cbd5e1; border-color: #cbd5e1; }"));
    centre->addWidget(card, 4);
    centre->addStretch(1);

    auto* lay = new QVBoxLayout(card);
    lay->setContentsMargins(28, 24, 28, 24);
    lay->setSpacing(10);
    auto* head = new QHBoxLayout;
    auto* logo = new QLabel(card);
    logo->setPixmap(icon(IconId::App).pixmap(56, 56));
    head->addWidget(logo);
    auto* titles = new QVBoxLayout;
    auto* title = new QLabel(tr("<span style='font-size:22px; font-weight:600'>QuantScope</span>"), card);
    auto* subtitle = new QLabel(tr("See what bfp8, MXFP4, NVFP4, bf16 … do to a model's weights."), card);
    subtitle->setStyleSheet(QStringLiteral("color:#475569"));
    titles->addWidget(title);
    titles->addWidget(subtitle);
    head->addLayout(titles, 1);
    lay->addLayout(head);
    lay->addSpacing(8);

    auto* grid = new QGridLayout;
    grid->setHorizontalSpacing(8);
    m_model = new QLineEdit(card);
    m_model->setObjectName(QStringLiteral("startModelField"));
    m_model->setPlaceholderText(tr("Hub repo id (org/name), Hub URL, or a local folder / .safetensors file"));
    enableNamedClearButton(m_model);
    m_model->setMinimumHeight(30);
    m_revision = new QLineEdit(card);
    m_revision->setObjectName(QStringLiteral("startRevisionField"));
    m_revision->setPlaceholderText(QStringLiteral("main"));
    m_revision->setToolTip(tr("Revision: branch, tag or commit (Hub models only)"));
    m_revision->setFixedWidth(110);
    m_revision->setMinimumHeight(30);
    m_open = new QPushButton(icon(IconId::Go), tr("Open"), card);
    m_open->setObjectName(QStringLiteral("startOpen"));
    m_open->setDefault(true);
    m_open->setMinimumHeight(30);
    grid->addWidget(m_model, 0, 0);
    grid->addWidget(m_revision, 0, 1);
    grid->addWidget(m_open, 0, 2);
    lay->addLayout(grid);

    auto* buttons = new QHBoxLayout;
    auto* browse = new QPushButton(icon(IconId::Open), tr("Open folder…"), card);
    browse->setObjectName(QStringLiteral("startBrowse"));
    m_demo = new QPushButton(icon(IconId::Demo), tr("Open the demo model"), card);
    m_demo->setObjectName(QStringLiteral("startDemo"));
    m_demo->setToolTip(tr("A small bundled checkpoint (BF16, F16, F32 and FP8 tensors) to try every view"));
    buttons->addWidget(browse);
    buttons->addWidget(m_demo);
    buttons->addStretch(1);
    lay->addLayout(buttons);

    auto* hint = new QLabel(tr("Tip: drop a model folder or a .safetensors file anywhere on this window."), card);
    hint->setStyleSheet(QStringLiteral("color:#64748b"));
    lay->addWidget(hint);
    auto* features = new QLabel(
        tr("<div style='color:#334155; line-height:140%'>"
           "• <b>Tensor tree</b> with natural sort and the <code>wq</code> filter rules (prefix, substring, /regex/)<br>"
           "• <b>Five views</b> per tensor: transfer curve, value and error histograms, heat map, amax staircase<br>"
           "• <b>PCC, MAE, ATOL, RMSE, SQNR</b> and storage per format — the same numbers as "
           "<code>quantscope wq</code></div>"),
        card);
    features->setTextFormat(Qt::RichText);
    features->setWordWrap(true);
    lay->addSpacing(4);
    lay->addWidget(features);

    m_error = new QLabel(card);
    m_error->setObjectName(QStringLiteral("startError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral(
        "QLabel { background:#fef2f2; border:1px solid #fecaca; border-radius:6px; padding:8px; color:#7f1d1d; }"));
    m_error->hide();
    lay->addWidget(m_error);

    m_recentTitle = new QLabel(tr("<b>Recent models</b>"), card);
    lay->addSpacing(6);
    lay->addWidget(m_recentTitle);
    m_recent = new QListWidget(card);
    m_recent->setObjectName(QStringLiteral("recentList"));
    m_recent->setMaximumHeight(190);
    m_recent->setAlternatingRowColors(true);
    lay->addWidget(m_recent);

    auto submit = [this] { Q_EMIT openRequested(m_model->text().trimmed(), m_revision->text().trimmed()); };
    connect(m_open, &QPushButton::clicked, this, submit);
    connect(m_model, &QLineEdit::returnPressed, this, submit);
    connect(m_revision, &QLineEdit::returnPressed, this, submit);
    connect(browse, &QPushButton::clicked, this, &StartPage::browseRequested);
    connect(m_demo, &QPushButton::clicked, this, &StartPage::demoRequested);
    connect(m_recent, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        Q_EMIT openRequested(item->data(Qt::UserRole).toString(), item->data(Qt::UserRole + 1).toString());
    });
    setRecent({});
}

void StartPage::setRecent(const QStringList& recent)
{
    m_recent->clear();
    for (const QString& entry : recent) {
        // "text\trevision" (revision may be empty)
        const QString text = entry.section(QLatin1Char('\t'), 0, 0);
        const QString rev = entry.section(QLatin1Char('\t'), 1, 1);
        auto* item = new QListWidgetItem(rev.isEmpty() || rev == "main" ? text : text + QStringLiteral("  @") + rev, m_recent);
        item->setData(Qt::UserRole, text);
        item->setData(Qt::UserRole + 1, rev);
        item->setIcon(icon(IconId::Open));
        item->setToolTip(tr("Double-click or Enter to open"));
    }
    m_recent->setVisible(!recent.isEmpty());
    m_recentTitle->setVisible(!recent.isEmpty());
}

void StartPage::setError(const QString& html)
{
    m_error->setText(html);
    m_error->setVisible(!html.isEmpty());
}

void StartPage::setBusy(bool busy)
{
    m_open->setEnabled(!busy);
    m_demo->setEnabled(!busy && m_demo->property("available").toBool());
}

void StartPage::setDemoAvailable(bool available, const QString& why)
{
    m_demo->setProperty("available", available);
    m_demo->setEnabled(available);
    if (!available) m_demo->setToolTip(why);
}

} // namespace qs
