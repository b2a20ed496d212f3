//! [`Chunks`]: the undo stack's storage, a list that grows by whole chunks. It knows nothing
//! about changes or groups.

/// Items per chunk: 4,096 changes are about 230 KB.
const CHUNK: usize = 4096;

/// A list that grows by adding fixed-size chunks instead of reallocating: recording the
/// changes of 100,000 inserted objects (800,000 of them) never copies the ones already
/// recorded, and never asks the allocator for one block of tens of megabytes that it must
/// map and zero afresh.
#[derive(Debug)]
pub(crate) struct Chunks<T> {
    /// Every chunk is full except the last, which is never empty.
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunks<T> {
    fn default() -> Chunks<T> {
        Chunks { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Chunks<T> {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub(crate) fn last(&self) -> Option<&T> {
        self.chunks.last().and_then(|chunk| chunk.last())
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        let last = self.chunks.last_mut()?;
        let item = last.pop();
        if last.is_empty() {
            self.chunks.pop();
        }
        self.len -= 1;
        item
    }

    /// Removes the items from `at` on and returns them in order (`Vec::split_off`).
    pub(crate) fn split_off(&mut self, at: usize) -> Vec<T> {
        let at = at.min(self.len);
        let mut tail = Vec::with_capacity(self.len - at);
        let first = (at / CHUNK).min(self.chunks.len());
        let mut moved = self.chunks.split_off(first).into_iter();
        if let Some(mut chunk) = moved.next() {
            // The chunk `at` falls in: its head stays (if any), its rest starts the tail.
            tail.extend(chunk.drain(at % CHUNK..));
            if !chunk.is_empty() {
                self.chunks.push(chunk);
            }
        }
        for mut chunk in moved {
            tail.append(&mut chunk);
        }
        self.len = at;
        tail
    }

    /// Moves every item of `items` to the end.
    pub(crate) fn append(&mut self, items: &mut Vec<T>) {
        for item in items.drain(..) {
            self.push(item);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::{CHUNK, Chunks};

    /// `Chunks` answers as the `Vec` it stands for across chunk boundaries.
    #[test]
    fn chunks_behave_as_a_vec() {
        let mut chunks = Chunks::default();
        let mut model = Vec::new();
        let mut next = 0_usize;
        // Grow past several chunks, split at, before and after boundaries, append back.
        for round in 0..6 {
            for _ in 0..CHUNK + 7 * round {
                chunks.push(next);
                model.push(next);
                next += 1;
            }
            let places: [fn(usize) -> usize; 4] =
                [|len| len - 1, |len| len.saturating_sub(CHUNK), |len| (len / CHUNK) * CHUNK, |len| len / 3];
            for place in places {
                let at = place(model.len());
                let mut tail = chunks.split_off(at);
                assert_eq!(tail, model.split_off(at), "round {round}, at {at}");
                assert_eq!(chunks.len(), model.len());
                if at % 2 == 0 {
                    model.extend(tail.iter().copied());
                    chunks.append(&mut tail);
                    assert!(tail.is_empty());
                }
            }
        }
        for _ in 0..CHUNK + 1 {
            assert_eq!(chunks.last(), model.last());
            assert_eq!(chunks.pop(), model.pop());
        }
        assert_eq!(chunks.len(), model.len());
        assert_eq!(chunks.split_off(0), model);
        assert_eq!((chunks.pop(), chunks.last()), (None, None));
        assert!(chunks.is_empty());
        assert!(chunks.split_off(10).is_empty());
        chunks.push(1);
        chunks.clear();
        assert_eq!(chunks.len(), 0);
    }
}
