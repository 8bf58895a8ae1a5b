;; Two components composed by hand (jco parse): $caller imports two
;; functions that $callee lifts, so its canon lower calls another
;; component's canon lift (a u32 and a string through both memories),
;; through nested component definitions, instances and aliases.
;; run(x) = double(double(x)) + the first byte of upper("abc") (65).
(component
  (component $callee
    (core module $m
      (memory (export "mem") 1)
      (global $bump (mut i32) (i32.const 1024))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        global.get $bump
        local.set $p
        global.get $bump
        local.get 3
        i32.add
        global.set $bump
        local.get $p)
      (func (export "double") (param i32) (result i32)
        local.get 0
        i32.const 2
        i32.mul)
      (func (export "upper") (param $p i32) (param $n i32) (result i32)
        (local $i i32)
        (block $done
          (loop $l
            local.get $i
            local.get $n
            i32.ge_u
            br_if $done
            local.get $p
            local.get $i
            i32.add
            local.get $p
            local.get $i
            i32.add
            i32.load8_u
            i32.const 32
            i32.sub
            i32.store8
            local.get $i
            i32.const 1
            i32.add
            local.set $i
            br $l))
        i32.const 16
        local.get $p
        i32.store
        i32.const 20
        local.get $n
        i32.store
        i32.const 16))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (alias core export $i "double" (core func $d))
    (alias core export $i "upper" (core func $u))
    (func $double (param "x" u32) (result u32) (canon lift (core func $d)))
    (func $upper (param "s" string) (result string)
      (canon lift (core func $u) (memory $mem) (realloc $realloc)))
    (export "double" (func $double))
    (export "upper" (func $upper)))
  (component $caller
    (import "double" (func $double (param "x" u32) (result u32)))
    (import "upper" (func $upper (param "s" string) (result string)))
    (core module $mem-mod
      (memory (export "mem") 1)
      (global $bump (mut i32) (i32.const 1024))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        global.get $bump
        local.set $p
        global.get $bump
        local.get 3
        i32.add
        global.set $bump
        local.get $p))
    (core instance $mi (instantiate $mem-mod))
    (alias core export $mi "mem" (core memory $mem))
    (alias core export $mi "realloc" (core func $realloc))
    (core func $d (canon lower (func $double)))
    (core func $u (canon lower (func $upper) (memory $mem) (realloc $realloc)))
    (core module $main
      (import "env" "mem" (memory 1))
      (import "env" "double" (func $double (param i32) (result i32)))
      (import "env" "upper" (func $upper (param i32 i32 i32)))
      (data (i32.const 100) "abc")
      (func (export "run") (param i32) (result i32)
        local.get 0
        call $double
        call $double
        i32.const 100
        i32.const 3
        i32.const 200
        call $upper
        i32.const 200
        i32.load
        i32.load8_u
        i32.add))
    (core instance $env
      (export "mem" (memory $mem))
      (export "double" (func $d))
      (export "upper" (func $u)))
    (core instance $main-i (instantiate $main (with "env" (instance $env))))
    (alias core export $main-i "run" (core func $run))
    (func $run-f (param "x" u32) (result u32) (canon lift (core func $run)))
    (export "run" (func $run-f)))
  (instance $a (instantiate $callee))
  (alias export $a "double" (func $dbl))
  (alias export $a "upper" (func $up))
  (instance $b (instantiate $caller (with "double" (func $dbl)) (with "upper" (func $up))))
  (alias export $b "run" (func $run))
  (export "run" (func $run))
  (export "upper" (func $up)))
