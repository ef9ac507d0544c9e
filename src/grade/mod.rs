//! `httplab grade`: a whole class in one command. Each submission is one folder (or zip);
//! its server runs sandboxed ([`crate::supervise::Confinement`]: a network namespace of its
//! own, a bubblewrap sandbox, as `nobody`) and is checked as `check --run` would check it;
//! its client too, when there is one; the [`rubric`] turns the verdicts into a score; the
//! outputs ([`gradebook`], [`files`], [`platforms`]) are written as each student finishes,
//! so that one submission's failure never loses another's results.

pub mod bundle;
pub mod class;
pub mod files;
pub mod gradebook;
pub mod platforms;
pub mod rubric;
pub mod student;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use self::class::Submission;
use self::gradebook::Gradebook;
use self::platforms::Platform;
use self::student::{GradeConfig, StudentGrade};
use crate::check::catalogue::CHECKS;
use crate::check::client::catalogue::CLIENT_CHECKS;

/// Where and what to write.
#[derive(Clone, Debug)]
pub struct Outputs {
    pub dir: PathBuf,
    pub platform: Option<Platform>,
    pub junit: Option<PathBuf>,
}

impl Outputs {
    /// A student's folder in `dir`: named after the student, unless that name is one of the
    /// class's own files (a student called `grades.csv`), which keep their names.
    pub fn student_folder(&self, student: &str) -> PathBuf {
        let taken = ["grades.csv", "grades.json"].contains(&student)
            || self
                .junit
                .as_ref()
                .is_some_and(|j| *j == self.dir.join(student));
        if taken {
            self.dir.join(format!("{student} (student)"))
        } else {
            self.dir.join(student)
        }
    }
}

/// What happens as the class is graded, for a progress bar or a log.
pub trait Progress {
    fn started(&mut self, student: &str);
    fn finished(&mut self, grade: &StudentGrade, done: usize, total: usize);
}

/// Every check id a run may have, in catalogue order (the client's with a client).
pub fn check_ids(with_client: bool) -> Vec<&'static str> {
    let mut ids: Vec<&str> = CHECKS.iter().map(|c| c.check.id).collect();
    if with_client {
        ids.extend(CLIENT_CHECKS.iter().map(|c| c.id));
    }
    ids
}

/// Every check id there is (for validating a rubric).
pub fn known_ids() -> Vec<&'static str> {
    check_ids(true)
}

/// Grades `submissions` with `jobs` at a time, writing each student's outputs as they
/// finish, and the class files (`grades.csv`, `grades.json`, the JUnit file) along the
/// way. Returns the grades, sorted by student.
pub fn grade_class(
    submissions: &[Submission],
    config: &GradeConfig,
    outputs: &Outputs,
    jobs: usize,
    progress: &mut dyn Progress,
) -> std::io::Result<Vec<StudentGrade>> {
    let with_client = config.client.is_some();
    std::fs::create_dir_all(&outputs.dir)?;
    let ids = check_ids(with_client);
    let mut gradebook = Gradebook::create(&outputs.dir.join("grades.csv"), &ids, with_client)?;
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel::<Event>();
    let mut grades: Vec<StudentGrade> = Vec::new();
    let mut written = Ok(());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            let sender = sender.clone();
            let next = &next;
            scope.spawn(move || worker(submissions, config, next, sender));
        }
        drop(sender);
        for event in receiver {
            match event {
                Event::Started(student) => progress.started(&student),
                Event::Finished(grade) => {
                    let grade = *grade;
                    let student_dir = outputs.student_folder(&grade.student);
                    // The row goes in whatever happened to the student's own files.
                    let files =
                        files::write_student(&student_dir, &grade, with_client, outputs.platform);
                    let row = gradebook.add(&grade);
                    if let Err(error) = files.and(row) {
                        written = Err(error);
                    }
                    progress.finished(&grade, grades.len() + 1, submissions.len());
                    grades.push(grade);
                    grades.sort_by(|a, b| a.student.cmp(&b.student));
                    let all: Vec<&StudentGrade> = grades.iter().collect();
                    let json = gradebook::class_json(&all, with_client);
                    if let Err(error) =
                        write_atomically(&outputs.dir.join("grades.json"), &files::pretty(&json))
                    {
                        written = Err(error);
                    }
                }
            }
        }
    });
    if let Some(path) = &outputs.junit {
        let all: Vec<&StudentGrade> = grades.iter().collect();
        write_atomically(path, &platforms::junit(&all, with_client))?;
    }
    written?;
    Ok(grades)
}

enum Event {
    Started(String),
    Finished(Box<StudentGrade>),
}

/// Takes the next submission until none is left; each is graded on a thread of its own (a
/// network namespace is a thread's, and goes with it).
fn worker(
    submissions: &[Submission],
    config: &GradeConfig,
    next: &AtomicUsize,
    events: mpsc::Sender<Event>,
) {
    loop {
        let index = next.fetch_add(1, Ordering::SeqCst);
        let Some(submission) = submissions.get(index) else {
            return;
        };
        let _ = events.send(Event::Started(submission.student.clone()));
        let graded = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name(format!("grade-{index}"))
                .spawn_scoped(scope, || student::grade(submission, config))
                .map(|handle| handle.join())
        });
        let grade = match graded {
            Ok(Ok(grade)) => grade,
            Ok(Err(_)) => StudentGrade::not_graded(
                &submission.student,
                "httplab failed while grading it (a bug: please report it)",
                config,
            ),
            Err(error) => StudentGrade::not_graded(
                &submission.student,
                &format!("cannot start a thread: {error}"),
                config,
            ),
        };
        let _ = events.send(Event::Finished(Box::new(grade)));
    }
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".partial");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}
