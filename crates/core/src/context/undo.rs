//! Undo and redo of a context's changes, grouped per change event (Core Data's undo manager).
//!
//! Every primitive change (`state.rs`: an insert, an attribute or to-one value, a to-many
//! addition or removal, a deletion — those made by inverse maintenance and delete rules
//! included) is noted here with what undoing it needs, into the *open group*. Groups:
//!
//! - by default each public mutating call of the context (`insert`, `set`, `set_to_one`,
//!   `add_to_many`, `remove_to_many`, `set_to_many`, `delete`, `delete_objects`) is one
//!   group: the call closes the group the previous call left open;
//! - [`Context::begin_undo_group`] / [`Context::end_undo_group`] (nestable) and
//!   [`Context::undo_group`] make one group of every change in between.
//!
//! [`Context::undo`] reverts the last group, change by change in reverse order, and moves it
//! to the redo stack; [`Context::redo`] applies it again in order. A new change clears the
//! redo stack. A successful save (its commit), [`Context::reset`] and [`Context::rollback`]
//! clear both stacks; [`Context::set_undo_enabled`]`(false)` stops recording (one boolean
//! test per change) and keeps the stacks. The stacks grow until cleared (a change costs
//! about one `Value` clone and one list slot), so bulk work turns recording off.
//!
//! **Changes not recorded** — merges ([`Context::merge_changes`], automatic merging),
//! [`Context::refresh`], what a merge policy changes during a save, a child context's save
//! pushed into this one, and changes made while recording is off — are not undoable and
//! clear nothing. An undo restores the values the undone changes recorded, as Core Data's
//! does: an attribute or to-one relationship goes back to the value it had before the
//! change (a pending edit if that differs from the row the context now holds, none if it
//! equals it), a to-many change is reverted as an addition or removal (members are
//! restored exactly; pending additions re-added by an undo or redo come last in the list),
//! an inserted object is forgotten, a deleted object comes back with its state and its
//! place in the insertion order. Changes about objects the context no longer holds
//! (forgotten by a merge of a deletion elsewhere, or by a refresh that found the row gone)
//! are skipped rather than re-registering them.
//!
//! Undo and redo never call a store and never record: they apply the changes through the
//! `apply_*` primitives directly.

mod chunks;

use chunks::Chunks;

use super::Context;
use super::state::ObjectState;
use crate::ObjectId;
use strata_model::Value;

/// An inserted object's state when it was deleted (deleting an inserted object forgets it).
#[derive(Debug, Clone)]
pub(crate) struct Forgotten {
    pub(crate) state: ObjectState,
    /// Its place in the context's insertion order.
    pub(crate) position: usize,
}

/// One primitive change, with what undoing and redoing it needs.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// An object inserted.
    Inserted { id: ObjectId },
    /// An attribute set. `value` is the value replaying the change in either direction
    /// puts back: the value before the change while it can be undone, the value it set
    /// while it can be redone (each replay swaps them, so recording clones one value).
    /// `None`: no pending value and no row (an inserted object's default, a fault's
    /// unknown value).
    Attribute { id: ObjectId, index: usize, value: Option<Value> },
    /// A to-one relationship set (`value` as for attributes).
    ToOne { id: ObjectId, index: usize, value: Option<Option<ObjectId>> },
    /// A destination added to (`added`) or removed from a to-many relationship.
    Member { id: ObjectId, index: usize, destination: ObjectId, added: bool },
    /// An object deleted (an inserted one with its state, to bring it back).
    Deleted { id: ObjectId, forgotten: Option<Box<Forgotten>> },
}

/// The undo manager of a context (a field of [`Context`]).
///
/// The undo stack is one flat list of changes with the end of each closed group (not a
/// list per group): recording a change allocates nothing but, now and then, a new chunk of
/// the list.
#[derive(Debug)]
pub(crate) struct UndoState {
    enabled: bool,
    /// Recording suspended (during a save) whatever `enabled` says.
    paused: bool,
    /// Explicit groups open.
    depth: usize,
    /// The changes of the undoable groups, then those of the open group.
    changes: Chunks<Change>,
    /// Where each closed group ends in `changes`.
    ends: Chunks<usize>,
    /// Undone groups, the last undone last.
    redo: Vec<Vec<Change>>,
}

impl Default for UndoState {
    fn default() -> UndoState {
        UndoState {
            enabled: true,
            paused: false,
            depth: 0,
            changes: Chunks::default(),
            ends: Chunks::default(),
            redo: Vec::new(),
        }
    }
}

impl UndoState {
    /// Whether changes are being recorded.
    #[inline]
    pub(crate) fn recording(&self) -> bool {
        self.enabled && !self.paused
    }

    /// Notes a change into the open group; a new change makes the redo stack moot.
    pub(crate) fn push(&mut self, change: Change) {
        if !self.redo.is_empty() {
            self.redo.clear();
        }
        self.changes.push(change);
    }

    /// Where the open group starts.
    fn open_start(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    fn has_open(&self) -> bool {
        self.changes.len() > self.open_start()
    }

    /// Closes the open group unless an explicit group is open.
    pub(crate) fn boundary(&mut self) {
        if self.depth == 0 {
            self.close();
        }
    }

    fn close(&mut self) {
        if self.has_open() {
            self.ends.push(self.changes.len());
        }
    }

    /// Takes the last closed group off the undo stack.
    fn pop(&mut self) -> Option<Vec<Change>> {
        self.ends.pop()?;
        Some(self.changes.split_off(self.open_start()))
    }

    /// Forgets every group (after a save, a reset, a rollback). Open explicit groups stay
    /// open (their earlier changes are gone).
    pub(crate) fn clear(&mut self) {
        self.changes.clear();
        self.ends.clear();
        self.redo.clear();
    }

    /// Suspends recording; returns the previous suspension, for [`UndoState::resume`].
    pub(crate) fn pause(&mut self) -> bool {
        std::mem::replace(&mut self.paused, true)
    }

    /// Ends a suspension started by [`UndoState::pause`].
    pub(crate) fn resume(&mut self, paused: bool) {
        self.paused = paused;
    }
}

impl Context {
    /// Closes the undo group the previous public mutating call left open: called first by
    /// every public mutating method, so that each is one group by default.
    pub(crate) fn undo_boundary(&mut self) {
        self.undo.boundary();
    }

    /// Runs `f` without recording its changes for undo: for changes that come from
    /// elsewhere (a child context's save pushed into this one), which are not undoable.
    pub(crate) fn unrecorded<R>(&mut self, f: impl FnOnce(&mut Context) -> R) -> R {
        let paused = self.undo.pause();
        let out = f(self);
        self.undo.resume(paused);
        out
    }

    /// Whether the context records its changes for undo (on by default).
    pub fn is_undo_enabled(&self) -> bool {
        self.undo.enabled
    }

    /// Turns recording for undo on or off. Off, changes cost no recording at all (for bulk
    /// work) and are not undoable; the groups already recorded stay, and undoing one restores
    /// the values it recorded (see [`Context::undo`]).
    pub fn set_undo_enabled(&mut self, enabled: bool) {
        if !enabled {
            self.undo.boundary();
        }
        self.undo.enabled = enabled;
    }

    /// Opens an undo group: every change until the matching [`Context::end_undo_group`] is
    /// one group, undone and redone at once. Groups nest; only the outermost counts.
    pub fn begin_undo_group(&mut self) {
        if self.undo.depth == 0 {
            self.undo.close();
        }
        self.undo.depth += 1;
    }

    /// Closes the group opened by the last [`Context::begin_undo_group`]; closing the
    /// outermost makes its changes one undo group. Returns `false` (and does nothing) if no
    /// group is open.
    pub fn end_undo_group(&mut self) -> bool {
        if self.undo.depth == 0 {
            return false;
        }
        self.undo.depth -= 1;
        if self.undo.depth == 0 {
            self.undo.close();
        }
        true
    }

    /// Runs `f` inside one undo group (`begin_undo_group` … `end_undo_group`), whatever it
    /// returns: on an error the changes made before it stay, undoable as one group.
    pub fn undo_group<R>(&mut self, f: impl FnOnce(&mut Context) -> R) -> R {
        self.begin_undo_group();
        let out = f(self);
        self.end_undo_group();
        out
    }

    /// Whether there is a group to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.changes.is_empty()
    }

    /// Whether there is an undone group to redo.
    pub fn can_redo(&self) -> bool {
        !self.undo.redo.is_empty()
    }

    /// How many groups [`Context::undo`] can revert.
    pub fn undo_count(&self) -> usize {
        self.undo.ends.len() + usize::from(self.undo.has_open())
    }

    /// How many groups [`Context::redo`] can apply again.
    pub fn redo_count(&self) -> usize {
        self.undo.redo.len()
    }

    /// Reverts the last group of changes (closing any open group first, explicit ones
    /// included) and makes it redoable. Returns `false` if there was nothing to undo.
    ///
    /// Every change is recorded: attribute and relationship values, inverses maintained on
    /// the other side, inserts, deletions and what their delete rules did. By default each
    /// public mutating call (`insert`, `set`, `set_to_one`, `add_to_many`,
    /// `remove_to_many`, `set_to_many`, `delete`, `delete_objects`) is one group;
    /// [`Context::begin_undo_group`] / [`Context::end_undo_group`] (nestable) and
    /// [`Context::undo_group`] make one group of many calls. Undoing restores the values
    /// the group's changes recorded on both sides of every relationship, forgets the
    /// objects it inserted and brings back the objects it deleted with their links; an
    /// object whose every change is undone is unchanged again. A new change clears the redo
    /// stack; a successful [`Context::save`], [`Context::reset`] and [`Context::rollback`]
    /// clear both stacks.
    ///
    /// Changes from elsewhere are not recorded and clear nothing: merges
    /// ([`Context::merge_changes`], automatic merging), [`Context::refresh`], what a merge
    /// policy does during a save, changes pushed by a child context's save, and changes
    /// made while recording is off ([`Context::set_undo_enabled`]). As in Core Data, an
    /// undo after them restores the values it recorded: an attribute or to-one
    /// relationship goes back to its value before the undone change (a pending edit if
    /// that differs from the row the context now holds), a to-many change is reverted as
    /// the matching removal or addition. Changes about an object the context no longer
    /// holds (a merge forgot it: it was deleted elsewhere) are skipped, never bringing it
    /// back; a link an undo restores to such an object fails the next save with the
    /// store's missing-object error, as a pending edit pointing at it would.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use strata_core::{Context, Coordinator, memory_store::MemoryStore};
    /// # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Note","attributes":[{"name":"text","type":"string"}]}]}"#).unwrap());
    /// # let coordinator = Coordinator::new(model.clone());
    /// # coordinator.add_store("Default", Arc::new(MemoryStore::new(model)))?;
    /// let mut context = Context::new(coordinator);
    /// let note = context.undo_group(|ctx| -> strata_core::Result<_> {
    ///     let note = ctx.insert("Note")?;
    ///     ctx.set(note, "text", "draft")?;
    ///     Ok(note)
    /// })?;
    /// assert!(context.undo());
    /// assert!(!context.is_registered(note) && !context.has_changes());
    /// assert!(context.redo());
    /// assert_eq!(context.get::<String>(note, "text")?, "draft");
    /// # Ok::<(), strata_core::Error>(())
    /// ```
    pub fn undo(&mut self) -> bool {
        self.undo.depth = 0;
        self.undo.close();
        let Some(mut group) = self.undo.pop() else { return false };
        for change in group.iter_mut().rev() {
            self.replay(change, true);
        }
        self.undo.redo.push(group);
        true
    }

    /// Applies again the last group [`Context::undo`] reverted. Returns `false` if there was
    /// nothing to redo.
    pub fn redo(&mut self) -> bool {
        self.undo.depth = 0;
        self.undo.close();
        let Some(mut group) = self.undo.redo.pop() else { return false };
        for change in &mut group {
            self.replay(change, false);
        }
        self.undo.changes.append(&mut group);
        self.undo.ends.push(self.undo.changes.len());
        true
    }

    /// Whether the context holds `id` (undo never registers an object it forgot).
    fn holds(&self, id: ObjectId) -> bool {
        self.objects.contains_key(&id)
    }

    /// Replays one change backwards (`undo`) or forwards again.
    fn replay(&mut self, change: &mut Change, undo: bool) {
        match change {
            Change::Inserted { id } => {
                if undo {
                    self.forget_if_inserted(*id);
                } else if !self.holds(*id) {
                    self.apply_inserted(*id, None);
                }
            }
            Change::Attribute { id, index, value } if self.holds(*id) => {
                let current = self.objects.get(id).and_then(|s| {
                    s.attributes
                        .get(index)
                        .or_else(|| s.snapshot.as_ref().and_then(|r| r.value(*index)))
                        .cloned()
                });
                let restored = std::mem::replace(value, current);
                self.apply_attribute(*id, *index, restored);
            }
            Change::ToOne { id, index, value } if self.holds(*id) => {
                let current = self.objects.get(id).and_then(|s| {
                    s.to_one
                        .get(index)
                        .or_else(|| s.snapshot.as_ref().and_then(|r| r.to_one().get(*index)))
                        .copied()
                });
                let restored = std::mem::replace(value, current);
                self.apply_to_one(*id, *index, restored);
            }
            Change::Member { id, index, destination, added } if self.holds(*id) => {
                self.apply_member(*id, *index, *destination, *added != undo);
            }
            Change::Deleted { id, forgotten: Some(forgotten) } => {
                if !undo {
                    self.forget_if_inserted(*id);
                } else if !self.holds(*id) {
                    self.apply_inserted(*id, Some(forgotten));
                }
            }
            Change::Deleted { id, forgotten: None } if self.holds(*id) => self.apply_deleted(*id, !undo),
            _ => {}
        }
    }

    fn forget_if_inserted(&mut self, id: ObjectId) {
        if self.objects.get(&id).is_some_and(|s| s.inserted) {
            self.forget_inserted(id);
        }
    }
}
