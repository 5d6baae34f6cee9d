// JobRunner and JobsPanel: an import job completes and applies its result on the GUI thread, a
// started import is cancelled (project untouched), a queued job is cancelled before it runs, a
// bad dump fails with a message naming the file, GPU jobs queue on one device lane while a CPU
// job runs beside them, and the Jobs panel follows a real sweep: its bar is the fraction of fits
// done (0 at the start, where it stopped after a cancel), its detail line names the running job of
// the sweep, and the elapsed time stops when the job ends.
#include <QLabel>
#include <QProgressBar>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QToolButton>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "core/capture/capture_import.h"
#include "core/project/project.h"
#include "core/sweep/sweep_spec.h"
#include "test_fixture.h"
#include "widgets/job_runner.h"
#include "widgets/jobs_panel.h"
#include "widgets/project_session.h"

using kvwb::widgets::JobRunner;
using kvwb::widgets::JobState;
namespace core = kvwb::core;
namespace test = kvwb::widgets::test;

namespace {

// Work that reports progress, then waits until the job is cancelled (or gives up after 10 s).
void waitForCancel(core::JobContext& ctx) {
  ctx.report(0.01, "waiting for cancel");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!ctx.cancelled()) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("never cancelled");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

class TestJobRunner : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;
  std::filesystem::path path(const char* name) const {
    return std::filesystem::path(m_dir.filePath(QString::fromLatin1(name)).toStdString());
  }
  static bool waitFinished(JobRunner& runner, int id) {
    return QTest::qWaitFor([&] { return runner.status(id).state != JobState::Running; }, 20000);
  }

 private Q_SLOTS:
  void importCompletesAndApplies() {
    test::writeSyntheticDump(path("first.safetensors"), 3, 2, 32, 8);
    JobRunner runner(2);
    QSignalSpy started(&runner, &JobRunner::jobStarted);
    QSignalSpy finished(&runner, &JobRunner::jobFinished);
    std::string applied;
    Qt::HANDLE applyThread = nullptr;
    const int id = runner.start(
        QStringLiteral("Import first"), "cpu",
        [dumps = std::vector{path("first.safetensors")}, project = path("p.kvw")](
            core::JobContext& ctx) { return core::importCapture(dumps, project, {}, ctx); },
        [&](const core::CaptureInfo& c) {
          applied = c.name;
          applyThread = QThread::currentThreadId();
        });
    QCOMPARE(started.count(), 1);
    QVERIFY(finished.wait(20000));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.front().front().toInt(), id);
    QCOMPARE(runner.status(id).state, JobState::Succeeded);
    QCOMPARE(runner.status(id).fraction, 1.0);
    QCOMPARE(applied, std::string("first"));
    QCOMPARE(applyThread, QThread::currentThreadId());  // applied on the GUI thread
    QCOMPARE(core::Project::open(path("p.kvw")).captures().size(), std::size_t(1));
    QCOMPARE(runner.runningCount(), 0);
  }

  void startedImportIsCancelled() {
    test::writeSyntheticDump(path("second.safetensors"), 3, 2, 32, 8);
    const auto project = path("p.kvw");
    const auto before = core::Project::open(project).captures().size();
    JobRunner runner(2);
    QSignalSpy finished(&runner, &JobRunner::jobFinished);
    bool applied = false;
    const int id = runner.start(
        QStringLiteral("Import second"), "cpu",
        [dumps = std::vector{path("second.safetensors")}, project](core::JobContext& ctx) {
          waitForCancel(ctx);
          return core::importCapture(dumps, project, {}, ctx);  // throws core::Cancelled
        },
        [&](const core::CaptureInfo&) { applied = true; });
    QVERIFY(QTest::qWaitFor(  // the work is running
        [&] { return runner.status(id).what == QStringLiteral("waiting for cancel"); }, 20000));
    QVERIFY(runner.status(id).started);
    runner.cancel(id);
    QVERIFY(runner.status(id).cancelRequested);
    QVERIFY(waitFinished(runner, id));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(runner.status(id).state, JobState::Cancelled);
    QVERIFY(!applied);
    const auto after = core::Project::open(project);
    QCOMPARE(after.captures().size(), before);
    QVERIFY(!after.hasCapture("second"));
  }

  void queuedJobIsCancelledBeforeItRuns() {
    JobRunner runner(1);
    const int blocker = runner.start(QStringLiteral("blocker"), "cpu", waitForCancel);
    std::atomic<bool> ran = false;
    const int queued =
        runner.start(QStringLiteral("queued"), "cpu", [&](core::JobContext&) { ran = true; });
    runner.cancel(queued);
    runner.cancel(blocker);
    QVERIFY(waitFinished(runner, blocker));
    QVERIFY(waitFinished(runner, queued));
    QCOMPARE(runner.status(queued).state, JobState::Cancelled);
    QVERIFY(!ran);
  }

  void badDumpFailsWithFileName() {
    const auto bad = path("broken.safetensors");
    { std::ofstream(bad) << "xyz"; }
    JobRunner runner(1);
    const int id = runner.start(QStringLiteral("Import broken"), "cpu",
                                [bad, project = path("p.kvw")](core::JobContext& ctx) {
                                  return core::importCapture({bad}, project, {}, ctx);
                                });
    QVERIFY(waitFinished(runner, id));
    QCOMPARE(runner.status(id).state, JobState::Failed);
    QVERIFY2(runner.status(id).error.contains(QStringLiteral("broken.safetensors")),
             qPrintable(runner.status(id).error));
  }

  void deviceJobsQueueOnOneLane() {
    JobRunner runner(4);
    kvwb::widgets::JobsPanel panel(runner);
    std::atomic<int> onDevice = 0, mostOnDevice = 0;
    std::atomic<bool> release = false;
    auto waitUntil = [](const auto& done, const char* what) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error(what);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    };
    // A device job holds the lane until the test releases it.
    auto deviceWork = [&](core::JobContext&) {
      const int now = ++onDevice;
      for (int most = mostOnDevice; now > most && !mostOnDevice.compare_exchange_weak(most, now);) {
      }
      waitUntil([&] { return release.load(); }, "never released");
      --onDevice;
    };
    const int first = runner.start(QStringLiteral("fit 1"), "cuda:0", deviceWork);
    const int second = runner.start(QStringLiteral("fit 2"), "cuda:0", deviceWork);
    const int cpu = runner.start(QStringLiteral("import"), "cpu", [&](core::JobContext&) {
      waitUntil([&] { return onDevice > 0; }, "no device job ran beside the CPU job");
    });
    QCOMPARE(runner.status(second).device, std::string("cuda:0"));
    QVERIFY(waitFinished(runner, cpu));
    QCOMPARE(runner.status(cpu).state, JobState::Succeeded);  // it ran while `first` held the lane
    QVERIFY(QTest::qWaitFor([&] { return runner.status(first).started; }, 20000));
    QTest::qWait(100);
    QVERIFY(!runner.status(second).started);  // queued behind `first`
    QStringList details;
    for (const QLabel* label : panel.findChildren<QLabel*>()) details << label->text();
    QVERIFY2(details.contains(QStringLiteral("waiting for cuda:0")), qPrintable(details.join('|')));
    release = true;
    for (const int id : {first, second}) {
      QVERIFY(waitFinished(runner, id));
      QCOMPARE(runner.status(id).state, JobState::Succeeded);
    }
    QCOMPARE(mostOnDevice.load(), 1);  // the device jobs ran one after the other
  }

  void panelCancelButtonCancels() {
    JobRunner runner(1);
    kvwb::widgets::JobsPanel panel(runner);
    const int id = runner.start(QStringLiteral("Long job"), "cpu", waitForCancel);
    auto* cancel = panel.findChild<QToolButton*>(QStringLiteral("cancelJob"));
    QVERIFY(cancel != nullptr);
    QVERIFY(QTest::qWaitFor([&] { return runner.status(id).fraction > 0; }, 20000));
    cancel->click();
    QVERIFY(waitFinished(runner, id));
    QCOMPARE(runner.status(id).state, JobState::Cancelled);
    QVERIFY(cancel->isHidden());
    // The bar and the detail line show where the job stopped.
    QCOMPARE(panel.findChild<QProgressBar*>(QStringLiteral("jobProgress"))->value(), 10);
    const QString detail = panel.findChild<QLabel*>(QStringLiteral("jobDetail"))->text();
    QVERIFY2(detail.startsWith(QStringLiteral("cancelled at 1 % after")), qPrintable(detail));
  }

  void panelFollowsSweep() {
    const auto project = path("sweep.kvw");
    test::writeSyntheticDump(path("sweep.safetensors"), 4, 8, 1024, 32);
    test::importInto(project, path("sweep.safetensors"));
    kvwb::widgets::ProjectSession session;
    session.open(project);
    JobRunner& runner = session.jobs();
    kvwb::widgets::JobsPanel panel(runner);
    // Enough fits that the sweep reports progress between its first and its last job.
    auto spec = test::quickSweepSpec();
    spec["targets"]["layers"] = "all";
    spec["methods"][0]["grid"]["rank"] = {1, 2, 3, 4, 6, 8, 12, 16};
    std::vector<double> fractions;  // as the panel's bar shows them
    QStringList details;            // as the panel's detail line shows them while the job runs
    int startBar = -1;
    connect(&runner, &JobRunner::jobStarted, this, [&] {
      startBar = panel.findChild<QProgressBar*>(QStringLiteral("jobProgress"))->value();
    });
    connect(&runner, &JobRunner::jobProgress, this, [&](int id) {
      if (runner.status(id).state != JobState::Running || !runner.status(id).started) return;
      fractions.push_back(panel.findChild<QProgressBar*>(QStringLiteral("jobProgress"))->value() /
                          1000.0);
      details << panel.findChild<QLabel*>(QStringLiteral("jobDetail"))->text();
    });
    const int id = session.sweep(core::parseSweepSpec(spec, "test"), {});
    QVERIFY(id > 0);
    QVERIFY(QTest::qWaitFor([&] { return runner.status(id).state != JobState::Running; }, 60000));
    QCOMPARE(runner.status(id).state, JobState::Succeeded);

    QCOMPARE(startBar, 0);  // empty at the start, not full
    QVERIFY(!fractions.empty());
    QVERIFY2(std::is_sorted(fractions.begin(), fractions.end()), "progress went backwards");
    const auto between = std::count_if(fractions.begin(), fractions.end(),
                                       [](double f) { return f > 0 && f < 1; });
    QVERIFY2(between >= 2, qPrintable(QStringLiteral("%1 reports between 0 and 1")
                                          .arg(between)));
    // The detail line names the running job of the sweep (8 SVD ranks and 2 quantizations).
    const auto named = std::count_if(details.begin(), details.end(), [](const QString& d) {
      return d.contains(QRegularExpression(QStringLiteral("^job ([1-9]|10)/10 · (svd|quant) ")));
    });
    QVERIFY2(named >= 2, qPrintable(details.join('|')));
    QVERIFY2(details.filter(QStringLiteral("job 10/10 · ")).size() > 0 ||
                 details.filter(QStringLiteral("job 9/10 · ")).size() > 0,
             qPrintable(details.join('|')));  // later jobs are named, not the first one forever

    // Elapsed time stops when the job ends: the panel's "done in" does not grow.
    auto* detail = panel.findChild<QLabel*>(QStringLiteral("jobDetail"));
    QCOMPARE(panel.findChild<QProgressBar*>(QStringLiteral("jobProgress"))->value(), 1000);
    const double elapsed = runner.status(id).elapsedSeconds();
    const QString done = detail->text();
    QVERIFY2(done.startsWith(QStringLiteral("done in ")), qPrintable(done));
    QTest::qWait(2200);  // two ticks of the panel's refresh timer
    QCOMPARE(runner.status(id).elapsedSeconds(), elapsed);
    QCOMPARE(detail->text(), done);
  }

  void destructorCancelsRunningJobs() {
    std::atomic<bool> sawCancel = false;
    {
      JobRunner runner(1);
      QSignalSpy progress(&runner, &JobRunner::jobProgress);
      runner.start(QStringLiteral("endless"), "cpu", [&](core::JobContext& ctx) {
        waitForCancel(ctx);
        sawCancel = true;
      });
      QVERIFY(progress.wait(20000));
    }
    QVERIFY(sawCancel);
  }
};

QTEST_MAIN(TestJobRunner)
#include "test_job_runner.moc"
