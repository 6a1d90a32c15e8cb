//! The injected sources of time and identity.
//!
//! Invariant: nothing in the core reads the wall clock or a global random
//! number generator except [`SystemClock`] and [`RandomIdGenerator`]. A run
//! built on [`ManualClock`] or [`FixedClock`] and on [`SequentialIdGenerator`]
//! or [`SeededIdGenerator`] is a pure function of its inputs, down to the
//! bytes of its audit log.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration, Utc};
use uuid::Uuid;

use crate::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time as this clock sees it.
    fn now(&self) -> Timestamp;
}

/// A source of fresh UUIDs.
pub trait IdGenerator: Send + Sync + fmt::Debug {
    /// The next UUID. Never the same twice from one generator.
    fn next_uuid(&self) -> Uuid;
}

/// The wall clock. Use it only at the edge of the system, never in a run that
/// must be reproducible.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now()
    }
}

/// A clock that always says the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock {
    now: Timestamp,
}

impl FixedClock {
    /// A clock stopped at `now`.
    pub fn new(now: Timestamp) -> FixedClock {
        FixedClock { now }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.now
    }
}

/// A clock that moves only when told to. The engine uses one as a run's
/// simulated clock: it starts at the incident's time and advances a fixed
/// amount per step.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock that reads `start` until it is advanced.
    pub fn new(start: Timestamp) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward by `by`. A negative duration is ignored, so
    /// time never runs backwards.
    pub fn advance(&self, by: Duration) {
        if by < Duration::zero() {
            return;
        }
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Saturate at the far end of chrono's range rather than overflow.
        if let Some(next) = now.checked_add_signed(by) {
            *now = next;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Random version-4 UUIDs from the operating system. Use it only where ids
/// need not be reproducible.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIdGenerator;

impl IdGenerator for RandomIdGenerator {
    fn next_uuid(&self) -> Uuid {
        Uuid::new_v4()
    }
}

/// UUIDs 1, 2, 3, ... (`00000000-0000-0000-0000-000000000001` and so on).
/// Easy to read in tests and snapshots.
#[derive(Debug, Default)]
pub struct SequentialIdGenerator {
    last: AtomicU64,
}

impl SequentialIdGenerator {
    /// A generator whose first id is 1.
    pub fn new() -> SequentialIdGenerator {
        SequentialIdGenerator::default()
    }
}

impl IdGenerator for SequentialIdGenerator {
    fn next_uuid(&self) -> Uuid {
        let next = self.last.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        Uuid::from_u128(u128::from(next))
    }
}

/// Version-4-shaped UUIDs drawn from a seeded [`SeededRandom`] stream: they
/// look random, but the same seed always gives the same sequence.
#[derive(Debug)]
pub struct SeededIdGenerator {
    random: SeededRandom,
}

impl SeededIdGenerator {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> SeededIdGenerator {
        SeededIdGenerator {
            random: SeededRandom::new(seed),
        }
    }

    fn next_u64(&self) -> u64 {
        self.random.next_u64()
    }
}

/// A small, fast, seeded pseudo-random stream (SplitMix64). The same seed
/// gives the same numbers on every platform. Not for cryptography. Shared
/// through `&self` (the state is atomic), so one stream can serve a whole run.
#[derive(Debug)]
pub struct SeededRandom {
    state: AtomicU64,
}

impl SeededRandom {
    /// A stream fixed by `seed`.
    pub fn new(seed: u64) -> SeededRandom {
        SeededRandom {
            state: AtomicU64::new(seed),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&self) -> u64 {
        const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
        let state = self
            .state
            .fetch_add(GOLDEN_GAMMA, Ordering::Relaxed)
            .wrapping_add(GOLDEN_GAMMA);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`, or 0 when `bound` is 0. Uses rejection, so
    /// every value is equally likely.
    pub fn next_below(&self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let value = self.next_u64();
            if value < zone {
                return value % bound;
            }
        }
    }

    /// A number in `0.0..1.0`.
    pub fn next_f64(&self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl IdGenerator for SeededIdGenerator {
    fn next_uuid(&self) -> Uuid {
        let high = self.next_u64().to_be_bytes();
        let low = self.next_u64().to_be_bytes();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&high);
        bytes[8..].copy_from_slice(&low);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

/// Measures how long a tool ran. Tools take their timer from their context
/// rather than reading `Instant` themselves, so a deterministic run can
/// record a fixed figure and keep its audit log byte-identical.
pub trait ExecutionTimer: Send + Sync + fmt::Debug {
    /// A reading in microseconds from an arbitrary, fixed origin. Elapsed time
    /// is the difference of two readings.
    fn read_micros(&self) -> u64;
}

/// Real elapsed time, from a monotonic clock. For the product's wall-time
/// reports; never for a run whose log must be reproducible.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicTimer {
    origin: std::time::Instant,
}

impl MonotonicTimer {
    /// A timer whose origin is now.
    pub fn new() -> MonotonicTimer {
        MonotonicTimer {
            origin: std::time::Instant::now(),
        }
    }
}

impl Default for MonotonicTimer {
    fn default() -> MonotonicTimer {
        MonotonicTimer::new()
    }
}

impl ExecutionTimer for MonotonicTimer {
    fn read_micros(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// A timer that never moves, so every execution time reads 0 µs. For
/// deterministic runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrozenTimer;

impl ExecutionTimer for FrozenTimer {
    fn read_micros(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn noon() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    #[test]
    fn fixed_clock_never_moves() {
        let clock = FixedClock::new(noon());
        assert_eq!(clock.now(), noon());
        assert_eq!(clock.now(), noon());
    }

    #[test]
    fn manual_clock_moves_only_forward_and_only_when_told() {
        let clock = ManualClock::new(noon());
        assert_eq!(clock.now(), noon());
        clock.advance(Duration::seconds(30));
        assert_eq!(clock.now(), noon() + Duration::seconds(30));
        clock.advance(Duration::seconds(-60));
        assert_eq!(clock.now(), noon() + Duration::seconds(30));
    }

    #[test]
    fn sequential_ids_count_from_one() {
        let ids = SequentialIdGenerator::new();
        assert_eq!(ids.next_uuid(), Uuid::from_u128(1));
        assert_eq!(ids.next_uuid(), Uuid::from_u128(2));
    }

    #[test]
    fn seeded_ids_repeat_for_a_seed_and_differ_across_seeds() {
        let first: Vec<Uuid> = {
            let ids = SeededIdGenerator::new(42);
            (0..5).map(|_| ids.next_uuid()).collect()
        };
        let again: Vec<Uuid> = {
            let ids = SeededIdGenerator::new(42);
            (0..5).map(|_| ids.next_uuid()).collect()
        };
        let other = SeededIdGenerator::new(43).next_uuid();
        assert_eq!(first, again);
        assert_ne!(first[0], other);
        assert_eq!(first[0].get_version_num(), 4);
        let mut unique = first.clone();
        unique.dedup();
        assert_eq!(unique.len(), first.len());
    }

    #[test]
    fn seeded_random_repeats_and_stays_in_bounds() {
        let first = SeededRandom::new(7);
        let second = SeededRandom::new(7);
        for _ in 0..100 {
            assert_eq!(first.next_u64(), second.next_u64());
            assert!(first.next_below(6) < 6);
            let unit = first.next_f64();
            assert!((0.0..1.0).contains(&unit));
            second.next_below(6);
            second.next_f64();
        }
        assert_eq!(SeededRandom::new(1).next_below(0), 0);
    }

    #[test]
    fn frozen_timer_reads_zero_and_monotonic_timer_never_goes_back() {
        assert_eq!(FrozenTimer.read_micros(), 0);
        let timer = MonotonicTimer::new();
        let first = timer.read_micros();
        assert!(timer.read_micros() >= first);
    }

    #[test]
    fn random_ids_are_version_4() {
        assert_eq!(RandomIdGenerator.next_uuid().get_version_num(), 4);
        assert_ne!(RandomIdGenerator.next_uuid(), RandomIdGenerator.next_uuid());
    }
}
