//! The observer's sorted list: sections of object IDs in fetch order, and each member's
//! sort-key values, so that one object is found, removed or placed by binary search.
//!
//! Order: the sort keys (each by its comparison and direction, as
//! [`compare_values`] orders them), ties by primary key and then by ID — the order stores
//! return. Sectioned lists group members by the value of the first sort key; sections are
//! ordered by it too (it is the section key), so they are contiguous runs of the list.
//! This module never reads a context or a store.

use std::cmp::Ordering;

use strata_model::Value;
use strata_predicate::SortDescriptor;
use strata_predicate::sort::compare_values;

use super::{IndexPath, Section};
use crate::ObjectId;
use crate::object_id::IdMap;

/// The sorted, sectioned members (see the module docs).
pub(super) struct SortedList {
    sort: Vec<SortDescriptor>,
    sectioned: bool,
    sections: Vec<Section>,
    values: IdMap<Vec<Value>>,
}

impl SortedList {
    /// An empty list ordered by `sort`; one section when not `sectioned`.
    pub(super) fn new(sort: Vec<SortDescriptor>, sectioned: bool) -> SortedList {
        let sections = if sectioned { Vec::new() } else { vec![Section::new(Value::Null)] };
        SortedList { sort, sectioned, sections, values: IdMap::default() }
    }

    /// A list of `members` (in any order) with their sort values.
    pub(super) fn build(
        sort: Vec<SortDescriptor>,
        sectioned: bool,
        members: Vec<(ObjectId, Vec<Value>)>,
    ) -> SortedList {
        let mut list = SortedList::new(sort, sectioned);
        let mut members = members;
        members.sort_by(|a, b| list.compare(a.0, &a.1, b.0, &b.1));
        for (id, values) in members {
            let name = list.section_name_of(&values);
            let same_section = list
                .sections
                .last()
                .is_some_and(|last| !list.sectioned || list.compare_names(&last.name, &name).is_eq());
            match list.sections.last_mut() {
                Some(last) if same_section => last.objects.push(id),
                _ => {
                    let mut section = Section::new(name);
                    section.objects.push(id);
                    list.sections.push(section);
                }
            }
            list.values.insert(id, values);
        }
        list
    }

    /// The sections.
    pub(super) fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// How many objects the list holds.
    pub(super) fn len(&self) -> usize {
        self.values.len()
    }

    /// The sort values of member `id`.
    pub(super) fn values_of(&self, id: ObjectId) -> Option<&Vec<Value>> {
        self.values.get(&id)
    }

    /// The name of the section an object with these sort values belongs to.
    pub(super) fn section_name_of(&self, values: &[Value]) -> Value {
        if self.sectioned { values.first().cloned().unwrap_or_default() } else { Value::Null }
    }

    /// The index of the section named `name` (`Err`: where it would go).
    pub(super) fn find_section(&self, name: &Value) -> Result<usize, usize> {
        if !self.sectioned {
            return Ok(0);
        }
        self.sections.binary_search_by(|s| self.compare_names(&s.name, name))
    }

    /// Where member `id` is.
    pub(super) fn path_of(&self, id: ObjectId) -> Option<IndexPath> {
        let values = self.values.get(&id)?;
        let section = self.find_section(&self.section_name_of(values)).ok()?;
        let row = self.sections[section]
            .objects
            .binary_search_by(|&probe| self.compare_member(probe, id, values))
            .ok()?;
        Some(IndexPath { section, row })
    }

    /// Removes member `id` (and its section, if that empties a section of a sectioned list).
    pub(super) fn remove(&mut self, id: ObjectId) {
        let Some(path) = self.path_of(id) else { return };
        self.sections[path.section].objects.remove(path.row);
        if self.sectioned && self.sections[path.section].objects.is_empty() {
            self.sections.remove(path.section);
        }
        self.values.remove(&id);
    }

    /// Places `id` with `values` at its sorted place (creating its section if needed).
    pub(super) fn insert(&mut self, id: ObjectId, values: Vec<Value>) {
        if self.values.contains_key(&id) {
            self.remove(id);
        }
        let name = self.section_name_of(&values);
        let section = match self.find_section(&name) {
            Ok(at) => at,
            Err(at) => {
                self.sections.insert(at, Section::new(name));
                at
            }
        };
        let objects = &self.sections[section].objects;
        let row = objects.partition_point(|&probe| self.compare_member(probe, id, &values) == Ordering::Less);
        self.sections[section].objects.insert(row, id);
        self.values.insert(id, values);
    }

    /// Orders member `probe` against `id` with `values`.
    fn compare_member(&self, probe: ObjectId, id: ObjectId, values: &[Value]) -> Ordering {
        match self.values.get(&probe) {
            Some(probe_values) => self.compare(probe, probe_values, id, values),
            // Every object in a section has values; keep the search total regardless.
            None => probe.cmp(&id),
        }
    }

    /// The list's order (see the module docs).
    pub(super) fn compare(
        &self,
        a: ObjectId,
        a_values: &[Value],
        b: ObjectId,
        b_values: &[Value],
    ) -> Ordering {
        for (i, sort) in self.sort.iter().enumerate() {
            let (x, y) = (a_values.get(i).unwrap_or(&Value::Null), b_values.get(i).unwrap_or(&Value::Null));
            let ordering = compare_values(x, y, sort.comparison);
            let ordering = if sort.ascending { ordering } else { ordering.reverse() };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        (a.primary_key(), a).cmp(&(b.primary_key(), b))
    }

    /// The order of section names: that of the first sort key.
    pub(super) fn compare_names(&self, a: &Value, b: &Value) -> Ordering {
        match self.sort.first() {
            Some(sort) => {
                let ordering = compare_values(a, b, sort.comparison);
                if sort.ascending { ordering } else { ordering.reverse() }
            }
            None => Ordering::Equal,
        }
    }

    /// Whether two sort-value lists are the same for the list's order (every key ties).
    pub(super) fn same_values(&self, a: &[Value], b: &[Value]) -> bool {
        a.len() == b.len()
            && self
                .sort
                .iter()
                .zip(a.iter().zip(b))
                .all(|(s, (x, y))| compare_values(x, y, s.comparison) == Ordering::Equal)
    }
}
