;; A resource defined by one component ($lib: `thing`, rep = the value
;; given to make, with a destructor that counts down `live`) and used by
;; another ($app) through its own handle table: make -> own handle in $app,
;; get through a borrow (lib sees the rep), resource.drop in $app runs
;; $lib's destructor.
;; run() = get(h) + 1000 * live-before-drop + 100000 * live-after-drop:
;; 1070 when everything is right (101070 if the destructor never ran).
(component
  (component $lib
    (core module $d
      (global (export "live") (mut i32) (i32.const 0))
      (func (export "dtor") (param i32)
        (global.set 0 (i32.sub (global.get 0) (i32.const 1)))))
    (core instance $di (instantiate $d))
    (alias core export $di "dtor" (core func $dtor))
    (type $r (resource (rep i32) (dtor (core func $dtor))))
    (core func $rnew (canon resource.new $r))
    (core module $m
      (import "d" "live" (global $live (mut i32)))
      (import "r" "new" (func $new (param i32) (result i32)))
      (func (export "make") (param i32) (result i32)
        (global.set $live (i32.add (global.get $live) (i32.const 1)))
        (call $new (local.get 0)))
      (func (export "get") (param i32) (result i32)
        (i32.mul (local.get 0) (i32.const 10)))
      (func (export "live") (result i32) (global.get $live)))
    (core instance $ri (export "new" (func $rnew)))
    (core instance $mi
      (instantiate $m (with "d" (instance $di)) (with "r" (instance $ri))))
    (alias core export $mi "make" (core func $make-c))
    (alias core export $mi "get" (core func $get-c))
    (alias core export $mi "live" (core func $live-c))
    (export $thing "thing" (type $r))
    (func $make (param "v" u32) (result (own $thing))
      (canon lift (core func $make-c)))
    (func $get (param "self" (borrow $thing)) (result u32)
      (canon lift (core func $get-c)))
    (func $live (result u32) (canon lift (core func $live-c)))
    (export "make" (func $make))
    (export "get" (func $get))
    (export "live" (func $live)))
  (component $app
    (import "thing" (type $t (sub resource)))
    (import "make" (func $make (param "v" u32) (result (own $t))))
    (import "get" (func $get (param "self" (borrow $t)) (result u32)))
    (import "live" (func $live (result u32)))
    (core func $make-l (canon lower (func $make)))
    (core func $get-l (canon lower (func $get)))
    (core func $live-l (canon lower (func $live)))
    (core func $drop-l (canon resource.drop $t))
    (core module $main
      (import "i" "make" (func $make (param i32) (result i32)))
      (import "i" "get" (func $get (param i32) (result i32)))
      (import "i" "live" (func $live (result i32)))
      (import "i" "drop" (func $drop (param i32)))
      (func (export "run") (result i32)
        (local $h i32) (local $v i32)
        (local.set $h (call $make (i32.const 7)))
        (local.set $v (i32.add (call $get (local.get $h))
                               (i32.mul (call $live) (i32.const 1000))))
        (call $drop (local.get $h))
        (i32.add (local.get $v) (i32.mul (call $live) (i32.const 100000)))))
    (core instance $i
      (export "make" (func $make-l))
      (export "get" (func $get-l))
      (export "live" (func $live-l))
      (export "drop" (func $drop-l)))
    (core instance $mi (instantiate $main (with "i" (instance $i))))
    (alias core export $mi "run" (core func $run-c))
    (func $run (result u32) (canon lift (core func $run-c)))
    (export "run" (func $run)))
  (instance $l (instantiate $lib))
  (alias export $l "thing" (type $thing))
  (alias export $l "make" (func $mk))
  (alias export $l "get" (func $gt))
  (alias export $l "live" (func $lv))
  (instance $a (instantiate $app
    (with "thing" (type $thing))
    (with "make" (func $mk))
    (with "get" (func $gt))
    (with "live" (func $lv))))
  (alias export $a "run" (func $run))
  (export "run" (func $run))
  (export "live" (func $lv)))
