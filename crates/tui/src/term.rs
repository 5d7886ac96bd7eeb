//! The real terminal: raw mode, alternate screen and mouse capture on entry, restored on every
//! exit (normal return, error, Ctrl-C as a key, panic), and the event loop.

use crate::app::{Action, App};
use crate::source::Shared;
use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::Terminal;
use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How often a snapshot is taken and the screen redrawn without input.
pub const TICK: Duration = Duration::from_millis(250);
/// The pause between steps of a filter still being applied (input is read in between).
const SCAN_PAUSE: Duration = Duration::from_millis(5);

/// Puts the terminal back as it was. Safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

fn enter() -> io::Result<(Guard, Terminal<CrosstermBackend<Stdout>>)> {
    // A panic anywhere (UI or capture thread) restores the terminal before its message.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    enable_raw_mode()?;
    let guard = Guard;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((guard, terminal))
}

/// Runs the UI until the user quits; `stop` is raised on the way out so the capture thread
/// ends too.
pub fn run(mut app: App, shared: Shared, stop: Arc<AtomicBool>) -> io::Result<()> {
    let result = (|| {
        let (_guard, mut terminal) = enter()?;
        let size = terminal.size()?;
        app.size = Rect::new(0, 0, size.width, size.height);
        let (nat_tx, nat_rx) = mpsc::channel();
        app.refresh(&mut shared.lock());
        terminal.draw(|f| crate::ui::render(f, &app))?;
        let mut last_tick = Instant::now();
        loop {
            // While a filter is still being applied to a long file, come back soon to go on
            // with it (each step takes the capture lock for at most the scan budget).
            let timeout = if app.packets.scanning.is_some() {
                SCAN_PAUSE
            } else {
                TICK
            }
            .min(TICK.saturating_sub(last_tick.elapsed()));
            let mut dirty = false;
            if event::poll(timeout)? {
                let ev = event::read()?;
                match app.handle(&ev) {
                    Action::Quit => break,
                    Action::RunNat => {
                        let servers = app.nat_servers.clone();
                        let tx = nat_tx.clone();
                        std::thread::spawn(move || {
                            let _ = tx.send(crate::nat::run_check(&servers));
                        });
                    }
                    Action::SavePackets(path) => {
                        // The outcome shows in the status line (App::notice).
                        let _ = app.save_packets(&mut shared.lock(), &path);
                    }
                    Action::None => {}
                }
                let mut s = shared.lock();
                if matches!(ev, Event::Resize(..)) {
                    app.refresh(&mut s);
                } else {
                    app.update_view(&mut s);
                }
                dirty = true;
            }
            if !dirty && app.packets.scanning.is_some() {
                app.update_view(&mut shared.lock());
                dirty = true;
            }
            if let Ok((reports, errors)) = nat_rx.try_recv() {
                app.nat_finished(reports, errors);
                dirty = true;
            }
            if last_tick.elapsed() >= TICK {
                last_tick = Instant::now();
                app.refresh(&mut shared.lock());
                dirty = true;
            }
            if dirty {
                terminal.draw(|f| crate::ui::render(f, &app))?;
            }
        }
        Ok(())
    })();
    stop.store(true, Ordering::SeqCst);
    result
}
