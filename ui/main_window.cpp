#include "main_window.h"

#include "atlas/atlas_view.h"
#include "compression/compression_workspace.h"
#include "icons.h"
#include "models/results_model.h"
#include "models/tensor_filter_proxy.h"
#include "models/tensor_tree_model.h"
#include "settings.h"
#include "widgets/format_panel.h"
#include "widgets/job_status.h"
#include "widgets/line_edit_buttons.h"
#include "widgets/plot_panel.h"
#include "widgets/results_panel.h"
#include "widgets/start_page.h"
#include "widgets/tensor_view.h"

#include <QAction>
#include <QApplication>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace qs {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("QuantScope"));
    setWindowIcon(icon(IconId::App));
    setAcceptDrops(true);
    buildUi();
    buildActions();
    m_workspace = installCompressionWorkspace(this);
    installAtlasView(this);
    qApp->installEventFilter(this);
    restoreSettings();
    updateActions();
    startSynth();
}

MainWindow::~MainWindow()
{
    // Cancel whatever runs; the futures' continuations are bound to `this` and are
    // dropped with it, and the workers only touch their own copies of the data.
    cancelJob(m_openFuture);
    cancelJob(m_viewFuture);
    cancelJob(m_metricsFuture);
    cancelJob(m_heatFuture);
    cancelJob(m_synthFuture);
    cancelJob(m_analyzeFuture);
    cancelJob(m_importanceFuture);
}

void MainWindow::buildUi()
{
    m_stack = new QStackedWidget(this);
    setCentralWidget(m_stack);

    m_start = new StartPage(m_stack);
    const QString demo = demoModelDir();
    m_start->setDemoAvailable(!demo.isEmpty(), tr("The demo model was not found next to the program "
                                                  "(set QS_DEMO_DIR to its folder)."));
    connect(m_start, &StartPage::openRequested, this, [this](const QString& t, const QString& r) { openModel(t, r); });
    connect(m_start, &StartPage::demoRequested, this, &MainWindow::openDemoModel);
    connect(m_start, &StartPage::browseRequested, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a model folder"));
        if (!dir.isEmpty()) openModel(dir);
    });
    m_stack->addWidget(m_start);

    // --- explorer ---
    m_explorer = new QWidget(m_stack);
    auto* outer = new QVBoxLayout(m_explorer);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(0);
    m_banner = new QLabel(m_explorer);
    m_banner->setObjectName(QStringLiteral("errorBanner"));
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setStyleSheet(QStringLiteral(
        "QLabel { background:#fef2f2; border-bottom:1px solid #fecaca; padding:6px 10px; color:#7f1d1d; }"));
    m_banner->hide();
    outer->addWidget(m_banner);

    m_mainSplitter = new QSplitter(Qt::Horizontal, m_explorer);
    m_mainSplitter->setObjectName(QStringLiteral("mainSplitter"));
    m_mainSplitter->setChildrenCollapsible(false);
    outer->addWidget(m_mainSplitter, 1);

    m_leftSplitter = new QSplitter(Qt::Vertical, m_mainSplitter);
    m_leftSplitter->setObjectName(QStringLiteral("leftSplitter"));
    m_leftSplitter->setChildrenCollapsible(false);
    auto* treeBox = new QWidget(m_leftSplitter);
    auto* tl = new QVBoxLayout(treeBox);
    tl->setContentsMargins(6, 6, 2, 2);
    tl->setSpacing(4);
    m_filter = new QLineEdit(treeBox);
    m_filter->setObjectName(QStringLiteral("filterField"));
    m_filter->setPlaceholderText(tr("Filter: model.layers.0 (prefix), q_proj (substring), /regex/   Ctrl+F"));
    enableNamedClearButton(m_filter);
    m_filter->addAction(icon(IconId::Filter), QLineEdit::LeadingPosition)->setText(tr("Filter tensors"));
    m_filterInfo = new QLabel(treeBox);
    m_filterInfo->setObjectName(QStringLiteral("filterInfo"));
    m_filterInfo->setStyleSheet(QStringLiteral("color:#64748b"));
    m_treeModel = new TensorTreeModel(this);
    m_proxy = new TensorFilterProxy(this);
    m_proxy->setSourceModel(m_treeModel);
    m_tree = new QTreeView(treeBox);
    m_tree->setObjectName(QStringLiteral("tensorTree"));
    m_tree->setAccessibleName(tr("Tensor tree"));
    m_tree->setModel(m_proxy);
    m_tree->setUniformRowHeights(true);
    m_tree->setSortingEnabled(true);
    m_tree->sortByColumn(TensorTreeModel::ColName, Qt::AscendingOrder);
    m_tree->setAlternatingRowColors(true);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->setIndentation(14);
    m_tree->header()->setStretchLastSection(false);
    // Sized to its contents when a model opens and on expanding (not on every layout:
    // that would measure thousands of rows per filter keystroke).
    m_tree->header()->setSectionResizeMode(TensorTreeModel::ColName, QHeaderView::Interactive);
    m_tree->header()->setResizeContentsPrecision(500);
    m_tree->header()->resizeSection(TensorTreeModel::ColName, 240);
    auto* resize = new QTimer(this);  // coalesces the expansions of expandAll() & co.
    resize->setSingleShot(true);
    resize->setInterval(30);
    connect(resize, &QTimer::timeout, this, [this] { m_tree->resizeColumnToContents(TensorTreeModel::ColName); });
    connect(m_tree, &QTreeView::expanded, resize, qOverload<>(&QTimer::start));
    for (int c = TensorTreeModel::ColDType; c < TensorTreeModel::ColumnCount; ++c)
        m_tree->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    // The worst wREL of the last analysis: shown once an analysis gave values.
    m_tree->header()->setSectionHidden(TensorTreeModel::ColWorst, true);
    m_tree->header()->moveSection(TensorTreeModel::ColWorst, 1);  // next to the name: the tree pane is narrow
    tl->addWidget(m_filter);
    tl->addWidget(m_filterInfo);
    tl->addWidget(m_tree, 1);
    m_leftSplitter->addWidget(treeBox);

    m_formats = new FormatPanel(m_leftSplitter);
    m_formats->setContentsMargins(6, 2, 2, 6);
    m_leftSplitter->addWidget(m_formats);
    m_leftSplitter->setStretchFactor(0, 3);
    m_leftSplitter->setStretchFactor(1, 2);

    m_rightSplitter = new QSplitter(Qt::Vertical, m_mainSplitter);
    m_rightSplitter->setObjectName(QStringLiteral("rightSplitter"));
    m_rightSplitter->setChildrenCollapsible(false);
    // Pages above the shared results table: the tensor's plots, the compression workspace.
    m_pages = new QTabWidget(m_rightSplitter);
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->setDocumentMode(true);
    m_view = new TensorView(m_pages);
    m_pages->addTab(m_view, tr("Tensor"));
    m_results = new ResultsPanel(m_rightSplitter);
    m_rightSplitter->addWidget(m_pages);
    m_rightSplitter->addWidget(m_results);
    m_rightSplitter->setStretchFactor(0, 3);
    m_rightSplitter->setStretchFactor(1, 1);
    m_rightSplitter->setSizes({620, 220});
    m_mainSplitter->addWidget(m_leftSplitter);
    m_mainSplitter->addWidget(m_rightSplitter);
    m_mainSplitter->setStretchFactor(0, 0);
    m_mainSplitter->setStretchFactor(1, 1);
    m_mainSplitter->setSizes({545, 935});
    m_stack->addWidget(m_explorer);

    // Status bar: messages left, jobs right.
    m_jobs = new JobStatus(this);
    statusBar()->addPermanentWidget(m_jobs);
    statusBar()->showMessage(tr("Open a model — or try the demo model."));

    // Debounced filter and format changes.
    m_filterTimer = new QTimer(this);
    m_filterTimer->setSingleShot(true);
    m_filterTimer->setInterval(200);
    connect(m_filter, &QLineEdit::textChanged, m_filterTimer, qOverload<>(&QTimer::start));
    connect(m_filterTimer, &QTimer::timeout, this, [this] { setFilterText(m_filter->text()); });
    m_formatsTimer = new QTimer(this);
    m_formatsTimer->setSingleShot(true);
    m_formatsTimer->setInterval(120);
    connect(m_formats, &FormatPanel::formatsChanged, m_formatsTimer, qOverload<>(&QTimer::start));
    connect(m_formatsTimer, &QTimer::timeout, this, [this] {
        refreshTensor();
        startSynth();
    });

    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& cur, const QModelIndex&) { onCurrentChanged(cur); });
    connect(m_view, &TensorView::randSamplesChanged, this, [this](int) { startSynth(); });
    connect(m_view, &TensorView::sliceChanged, this, &MainWindow::startHeatmap);
    connect(m_jobs, &JobStatus::idle, this, &MainWindow::updateActions);
}

void MainWindow::buildActions()
{
    auto* fileMenu = menuBar()->addMenu(tr("&File"));
    auto* openAct = fileMenu->addAction(icon(IconId::Open), tr("&Open folder…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a model folder"));
        if (!dir.isEmpty()) openModel(dir);
    });
    openAct->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_O));
    openAct->setToolTip(tr("Open a local model folder (Ctrl+O)"));
    fileMenu->addAction(tr("Open .safetensors &file…"), this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open a .safetensors file"), QString(),
                                                       tr("safetensors (*.safetensors)"));
        if (!f.isEmpty()) openModel(f);
    });
    auto* demoAct = fileMenu->addAction(icon(IconId::Demo), tr("Open the &demo model"), this, &MainWindow::openDemoModel);
    demoAct->setEnabled(!demoModelDir().isEmpty());
    auto* focusAddress = fileMenu->addAction(tr("Go to model &field"), this, [this] {
        m_modelField->setFocus();
        m_modelField->selectAll();
    });
    focusAddress->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_reloadAction = fileMenu->addAction(icon(IconId::Refresh), tr("&Reload"), this, &MainWindow::reloadModel);
    m_reloadAction->setShortcut(QKeySequence(Qt::Key_F5));
    fileMenu->addSeparator();
    buildImportanceActions(fileMenu);
    fileMenu->addSeparator();
    buildCompareActions(fileMenu);
    fileMenu->addSeparator();
    fileMenu->addAction(tr("Cache folder…"), this, [this] {
        bool ok = false;
        const QString dir = QInputDialog::getText(this, tr("Cache folder"),
                                                  tr("Folder for fetched Hub byte ranges (empty: the default cache):"),
                                                  QLineEdit::Normal, settings::cacheDir.value(), &ok);
        if (ok) settings::cacheDir.set(dir.trimmed());
    });
    fileMenu->addSeparator();
    auto* quit = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));  // explicit: not every platform theme maps QKeySequence::Quit

    auto* viewMenu = menuBar()->addMenu(tr("&View"));
    auto* find = viewMenu->addAction(tr("&Filter tensors"), this, [this] {
        m_filter->setFocus();
        m_filter->selectAll();
    });
    find->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F));
    for (int t = 0; t < TensorView::TabCount; ++t) {
        auto* a = viewMenu->addAction(m_view->tabs()->tabText(t), this, [this, t] { m_view->tabs()->setCurrentIndex(t); });
        a->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + t)));
    }

    auto* analyzeMenu = menuBar()->addMenu(tr("&Analyze"));
    analyzeMenu->setObjectName(QStringLiteral("analyzeMenu"));
    m_analyzeAction = analyzeMenu->addAction(icon(IconId::Analyze), tr("Analyze &selection"), this,
                                             &MainWindow::analyzeSelection);
    m_analyzeAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_analyzeAction->setToolTip(tr("Run wq over the selected group, the filter's matches, or the selected tensor (Ctrl+R)"));
    auto* cancel = analyzeMenu->addAction(icon(IconId::Cancel), tr("&Cancel running jobs"), this, &MainWindow::cancelJobs);
    cancel->setShortcut(QKeySequence(Qt::Key_Escape));

    auto* exportMenu = menuBar()->addMenu(tr("&Export"));
    m_exportPlotAction = exportMenu->addAction(icon(IconId::Export), tr("Current plot as &PNG…"), this, [this] {
        const QString path = promptExportPath(tr("Export plot"), QString(), tr("PNG image (*.png)"));
        if (!path.isEmpty()) exportCurrentPlot(path);
    });
    m_exportPlotAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_exportAllAction = exportMenu->addAction(tr("&All plots as PNG…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder for the PNGs"), settings::exportDir.value());
        if (!dir.isEmpty()) exportAllPlots(dir);
    });
    m_copyPlotAction = exportMenu->addAction(icon(IconId::Copy), tr("&Copy plot to clipboard"), this,
                                             &MainWindow::copyPlotToClipboard);
    m_copyPlotAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    exportMenu->addSeparator();
    m_exportTableAction = exportMenu->addAction(tr("&Table (table.txt, CSV, JSON)…"), this, [this] {
        const QString path = promptExportPath(tr("Export table"), QStringLiteral("table.txt"),
                                              tr("wq table (*.txt);;CSV (*.csv);;JSON (*.json)"));
        if (!path.isEmpty()) exportTable(path);
    });
    exportMenu->addSeparator();
    exportMenu->addAction(tr("PNG &size…"), this, [this] {
        bool ok = false;
        const QSize s = exportSize();
        const QString text = QInputDialog::getText(this, tr("PNG size"), tr("Width x height in pixels:"), QLineEdit::Normal,
                                                   QStringLiteral("%1x%2").arg(s.width()).arg(s.height()), &ok);
        if (!ok) return;
        const QStringList parts = text.split(QLatin1Char('x'));
        if (parts.size() == 2 && parts[0].toInt() >= 16 && parts[1].toInt() >= 16)
            setExportSize(parts[0].toInt(), parts[1].toInt());
    });

    auto* helpMenu = menuBar()->addMenu(tr("&Help"));
    auto* keys = helpMenu->addAction(tr("&Keyboard shortcuts"), this, [this] {
        QString rows;
        for (const auto& [what, key] : shortcutList())
            rows += QStringLiteral("<tr><td>%1</td><td>&nbsp;&nbsp;<b>%2</b></td></tr>")
                        .arg(what.toHtmlEscaped(), key.toString(QKeySequence::NativeText).toHtmlEscaped());
        QMessageBox box(QMessageBox::NoIcon, tr("Keyboard shortcuts"),
                        tr("<p>These work wherever the focus is, text fields included.</p><table>%1</table>").arg(rows),
                        QMessageBox::Close, this);
        box.exec();
    });
    keys->setObjectName(QStringLiteral("shortcutsAction"));
    keys->setShortcut(QKeySequence(Qt::Key_F1));
    helpMenu->addAction(tr("&About QuantScope"), this, [this] {
        QMessageBox::about(this, tr("About QuantScope"),
                           tr("<h3>QuantScope %1</h3><p>Shows what low-precision number formats (Tenstorrent "
                              "bfp8/bfp4/bfp2, MXFP4, NVFP4, FP8, bf16 …) do to a model's weights.</p>"
                              "<p>The same analyses run headless: <code>quantscope wq</code>, "
                              "<code>quantscope plot</code>, <code>quantscope export</code>.</p>"
                              "<p>Qt %2 · QCustomPlot 2.1</p>")
                               .arg(QStringLiteral(QS_VERSION), QString::fromLatin1(qVersion())));
    });

    // Toolbar: open, demo | model field + revision | analyze, export, reload.
    auto* tb = addToolBar(tr("Main"));
    tb->setObjectName(QStringLiteral("mainToolbar"));
    tb->setMovable(false);
    tb->setIconSize(QSize(20, 20));
    tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tb->addAction(openAct);
    tb->addAction(demoAct);
    tb->addSeparator();
    m_modelField = new QLineEdit(tb);
    m_modelField->setObjectName(QStringLiteral("modelField"));
    m_modelField->setPlaceholderText(tr("org/name, Hub URL or local path"));
    enableNamedClearButton(m_modelField);
    m_modelField->setMinimumWidth(260);
    m_revisionField = new QLineEdit(tb);
    m_revisionField->setObjectName(QStringLiteral("revisionField"));
    m_revisionField->setPlaceholderText(QStringLiteral("main"));
    m_revisionField->setToolTip(tr("Revision (branch, tag or commit)"));
    m_revisionField->setFixedWidth(90);
    auto submit = [this] { openModel(m_modelField->text().trimmed(), m_revisionField->text().trimmed()); };
    connect(m_modelField, &QLineEdit::returnPressed, this, submit);
    connect(m_revisionField, &QLineEdit::returnPressed, this, submit);
    tb->addWidget(m_modelField);
    tb->addWidget(m_revisionField);
    auto* go = tb->addAction(icon(IconId::Go), tr("Open"), this, submit);
    go->setToolTip(tr("Open the model typed in the field (Enter)"));
    tb->addSeparator();
    tb->addAction(m_analyzeAction);
    auto* exportButton = new QToolButton(tb);
    exportButton->setObjectName(QStringLiteral("exportButton"));
    exportButton->setText(tr("Export"));
    exportButton->setIcon(icon(IconId::Export));
    exportButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    exportButton->setPopupMode(QToolButton::InstantPopup);
    exportButton->setMenu(exportMenu);
    tb->addWidget(exportButton);
    tb->addAction(m_reloadAction);
}

QString MainWindow::demoModelDir()
{
    QStringList candidates;
    const QString env = qEnvironmentVariable("QS_DEMO_DIR");
    if (!env.isEmpty()) candidates << env;
    const QString bin = QCoreApplication::applicationDirPath();
    candidates << bin + QStringLiteral("/demo-model") << bin + QStringLiteral("/../share/quantscope/demo-model");
    for (const QString& c : candidates) {
        const QDir d(c);
        if (d.exists() && !d.entryList({QStringLiteral("*.safetensors")}, QDir::Files).isEmpty())
            return d.absolutePath();
    }
    return {};
}

void MainWindow::updateActions()
{
    const bool haveModel = m_model != nullptr;
    m_analyzeAction->setEnabled(haveModel);
    m_reloadAction->setEnabled(!m_modelText.isEmpty());
    const bool plot = haveModel || m_view->tabs()->currentIndex() == TensorView::TabStaircase;
    m_exportPlotAction->setEnabled(plot);
    m_exportAllAction->setEnabled(plot);
    m_copyPlotAction->setEnabled(plot);
    m_exportTableAction->setEnabled(!m_results->model()->isEmpty());
    m_openImportanceAction->setEnabled(haveModel);
    m_hubImportanceAction->setEnabled(haveModel);
    m_clearImportanceAction->setEnabled(m_importance != nullptr || !m_importanceLoading.isEmpty());
}

QString MainWindow::currentTensor() const { return QString::fromStdString(m_tensor); }

bool MainWindow::isBusy() const { return m_jobs->runningCount() > 0; }

QList<QPair<QString, QKeySequence>> MainWindow::shortcutList() const
{
    QList<QPair<QString, QKeySequence>> out;
    auto clean = [](QString t) { return t.remove(QLatin1Char('&')).remove(QStringLiteral("…")).trimmed(); };
    for (QAction* top : menuBar()->actions()) {
        if (!top->menu()) continue;
        for (QAction* a : top->menu()->actions()) {
            if (a->shortcut().isEmpty()) continue;
            out.append({clean(top->text()) + QStringLiteral(" › ") + clean(a->text()), a->shortcut()});
        }
    }
    out.append({tr("Results table › Copy the selected rows"), QKeySequence(QKeySequence::Copy)});
    out.append({tr("Model field › Open the model"), QKeySequence(Qt::Key_Return)});
    return out;
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::ShortcutOverride) {
        auto* w = qobject_cast<QWidget*>(watched);
        if (w && w != this && w->window() == this) {
            const QKeySequence key(static_cast<QKeyEvent*>(event)->keyCombination());
            for (QAction* a : findChildren<QAction*>())
                if (a->isEnabled() && a->shortcut() == key && !a->associatedObjects().isEmpty()) {
                    event->ignore();  // not taken by the text field: the action's shortcut fires
                    return true;
                }
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::cancelJobs()
{
    if (m_jobs->runningCount() == 0) return;  // Esc with nothing running says nothing
    m_jobs->cancelAll();
    statusBar()->showMessage(tr("Cancelled."), 4000);
}

} // namespace qs
