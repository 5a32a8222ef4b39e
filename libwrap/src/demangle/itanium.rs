//! An Itanium C++ ABI demangler whose output matches GNU binutils (libiberty's `cp-demangle.c`)
//! character for character, so `tl-nm -C` prints what `nm -C` prints.
//!
//! Structure: a parser builds an arena of components (the same component kinds libiberty uses,
//! since output details hang on them: substitutions share components, template parameters are
//! resolved at print time against the enclosing template, qualifiers are printed through a
//! modifier stack). The printer then reproduces libiberty's layout rules: `> >` spacing, `(*)`
//! around declarators, `[clone .x]`, `{lambda(…)#N}`, integer literal suffixes (`15ul`), the
//! short forms of `std::` abbreviations (`std::string` unless used before a constructor or
//! destructor), and failure in the same cases (names longer than 1024 characters with the
//! recursion limit on, malformed names, unresolved template parameters).

use std::rc::Rc;

type Id = usize;

/// Demangling options (a subset of libiberty's `DMGL_*`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Options {
    /// `DMGL_PARAMS`: function parameters (nm always sets it).
    pub(crate) params: bool,
    /// `DMGL_VERBOSE`: full expansions of `std::` abbreviations (c++filt sets it, nm does not).
    pub(crate) verbose: bool,
    /// `DMGL_NO_RECURSE_LIMIT`.
    pub(crate) no_recurse_limit: bool,
}

const RECURSION_LIMIT: usize = 2048;
const MAX_RECURSION_COUNT: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum K {
    Name,
    QualName,
    LocalName,
    TypedName,
    Template,
    TemplateParam,
    FunctionParam,
    Ctor,
    Dtor,
    Vtable,
    Vtt,
    ConstructionVtable,
    Typeinfo,
    TypeinfoName,
    TypeinfoFn,
    Thunk,
    VirtualThunk,
    CovariantThunk,
    JavaClass,
    Guard,
    TlsInit,
    TlsWrapper,
    Reftemp,
    HiddenAlias,
    SubStd,
    Restrict,
    Volatile,
    Const,
    RestrictThis,
    VolatileThis,
    ConstThis,
    ReferenceThis,
    RvalueReferenceThis,
    TransactionSafe,
    Noexcept,
    ThrowSpec,
    VendorTypeQual,
    Pointer,
    Reference,
    RvalueReference,
    Complex,
    Imaginary,
    BuiltinType,
    ExtendedBuiltinType,
    VendorType,
    FunctionType,
    ArrayType,
    PtrmemType,
    VectorType,
    ArgList,
    TemplateArgList,
    TparmObj,
    InitializerList,
    Operator,
    ExtendedOperator,
    Cast,
    Conversion,
    Nullary,
    Unary,
    Binary,
    BinaryArgs,
    Trinary,
    TrinaryArg1,
    TrinaryArg2,
    Literal,
    LiteralNeg,
    VendorExpr,
    Number,
    Decltype,
    GlobalConstructors,
    GlobalDestructors,
    Lambda,
    DefaultArg,
    UnnamedType,
    TransactionClone,
    NontransactionClone,
    PackExpansion,
    TaggedName,
    Clone,
    StructuredBinding,
    ModuleName,
    ModulePartition,
    ModuleEntity,
    ModuleInit,
    TemplateHead,
    TemplateTypeParm,
    TemplateNonTypeParm,
    TemplateTemplateParm,
    TemplatePackParm,
}

fn is_fnqual(k: K) -> bool {
    matches!(
        k,
        K::RestrictThis
            | K::VolatileThis
            | K::ConstThis
            | K::ReferenceThis
            | K::RvalueReferenceThis
            | K::TransactionSafe
            | K::Noexcept
            | K::ThrowSpec
    )
}

/// Text of a name component: a slice of the input or a fixed string.
#[derive(Clone, Copy, Debug)]
enum Text {
    Input(usize, usize),
    Static(&'static str),
}

#[derive(Clone, Debug)]
struct Comp {
    k: K,
    l: Option<Id>,
    r: Option<Id>,
    text: Text,
    num: i64,
    /// Builtin type index, operator index, extended-builtin suffix.
    aux: usize,
}

/// (name, print kind): 0 default, 1 int, 2 unsigned, 3 long, 4 unsigned long, 5 long long,
/// 6 unsigned long long, 7 bool, 8 float, 9 void.
const BUILTINS: [(&str, u8); 36] = [
    ("signed char", 0),
    ("bool", 7),
    ("char", 0),
    ("double", 8),
    ("long double", 8),
    ("float", 8),
    ("__float128", 8),
    ("unsigned char", 0),
    ("int", 1),
    ("unsigned int", 2),
    ("", 0),
    ("long", 3),
    ("unsigned long", 4),
    ("__int128", 0),
    ("unsigned __int128", 0),
    ("", 0),
    ("", 0),
    ("", 0),
    ("short", 0),
    ("unsigned short", 0),
    ("", 0),
    ("void", 9),
    ("wchar_t", 0),
    ("long long", 5),
    ("unsigned long long", 6),
    ("...", 0),
    ("decimal32", 0),
    ("decimal64", 0),
    ("decimal128", 0),
    ("half", 8),
    ("char8_t", 0),
    ("char16_t", 0),
    ("char32_t", 0),
    ("decltype(nullptr)", 0),
    ("_Float", 8),
    ("std::bfloat16_t", 8),
];

/// (code, printed name, arity), sorted by code.
const OPERATORS: &[(&str, &str, u8)] = &[
    ("aN", "&=", 2),
    ("aS", "=", 2),
    ("aa", "&&", 2),
    ("ad", "&", 1),
    ("an", "&", 2),
    ("at", "alignof ", 1),
    ("aw", "co_await ", 1),
    ("az", "alignof ", 1),
    ("cc", "const_cast", 2),
    ("cl", "()", 2),
    ("cm", ",", 2),
    ("co", "~", 1),
    ("dV", "/=", 2),
    ("dX", "[...]=", 3),
    ("da", "delete[] ", 1),
    ("dc", "dynamic_cast", 2),
    ("de", "*", 1),
    ("di", "=", 2),
    ("dl", "delete ", 1),
    ("ds", ".*", 2),
    ("dt", ".", 2),
    ("dv", "/", 2),
    ("dx", "]=", 2),
    ("eO", "^=", 2),
    ("eo", "^", 2),
    ("eq", "==", 2),
    ("fL", "...", 3),
    ("fR", "...", 3),
    ("fl", "...", 2),
    ("fr", "...", 2),
    ("ge", ">=", 2),
    ("gs", "::", 1),
    ("gt", ">", 2),
    ("ix", "[]", 2),
    ("lS", "<<=", 2),
    ("le", "<=", 2),
    ("li", "operator\"\" ", 1),
    ("ls", "<<", 2),
    ("lt", "<", 2),
    ("mI", "-=", 2),
    ("mL", "*=", 2),
    ("mi", "-", 2),
    ("ml", "*", 2),
    ("mm", "--", 1),
    ("na", "new[]", 3),
    ("ne", "!=", 2),
    ("ng", "-", 1),
    ("nt", "!", 1),
    ("nw", "new", 3),
    ("oR", "|=", 2),
    ("oo", "||", 2),
    ("or", "|", 2),
    ("pL", "+=", 2),
    ("pl", "+", 2),
    ("pm", "->*", 2),
    ("pp", "++", 1),
    ("ps", "+", 1),
    ("pt", "->", 2),
    ("qu", "?", 3),
    ("rM", "%=", 2),
    ("rS", ">>=", 2),
    ("rc", "reinterpret_cast", 2),
    ("rm", "%", 2),
    ("rs", ">>", 2),
    ("sP", "sizeof...", 1),
    ("sZ", "sizeof...", 1),
    ("sc", "static_cast", 2),
    ("ss", "<=>", 2),
    ("st", "sizeof ", 1),
    ("sz", "sizeof ", 1),
    ("tr", "throw", 0),
    ("tw", "throw ", 1),
];

/// (code, simple expansion, full expansion, name a following ctor/dtor takes).
const STD_SUBS: [(u8, &str, &str, Option<&str>); 7] = [
    (b't', "std", "std", None),
    (b'a', "std::allocator", "std::allocator", Some("allocator")),
    (b'b', "std::basic_string", "std::basic_string", Some("basic_string")),
    (b's', "std::string", "std::basic_string<char, std::char_traits<char>, std::allocator<char> >", Some("basic_string")),
    (b'i', "std::istream", "std::basic_istream<char, std::char_traits<char> >", Some("basic_istream")),
    (b'o', "std::ostream", "std::basic_ostream<char, std::char_traits<char> >", Some("basic_ostream")),
    (b'd', "std::iostream", "std::basic_iostream<char, std::char_traits<char> >", Some("basic_iostream")),
];

struct Parser<'a> {
    s: &'a [u8],
    n: usize,
    comps: Vec<Comp>,
    num_comps: usize,
    subs: Vec<Id>,
    num_subs: usize,
    last_name: Option<Id>,
    is_expression: bool,
    is_conversion: bool,
    unresolved_name_state: i32,
    recursion_level: usize,
    opts: Options,
}

type R = Option<Id>;

impl<'a> Parser<'a> {
    fn new(s: &'a [u8], opts: Options, unresolved_name_state: i32) -> Self {
        Parser {
            s,
            n: 0,
            comps: Vec::with_capacity(s.len()),
            num_comps: 2 * s.len(),
            subs: Vec::new(),
            num_subs: s.len(),
            last_name: None,
            is_expression: false,
            is_conversion: false,
            unresolved_name_state,
            recursion_level: 0,
            opts,
        }
    }

    fn peek(&self) -> u8 {
        self.s.get(self.n).copied().unwrap_or(0)
    }
    fn peek_next(&self) -> u8 {
        self.s.get(self.n + 1).copied().unwrap_or(0)
    }
    fn advance(&mut self, k: usize) {
        self.n = (self.n + k).min(self.s.len());
    }
    fn next_char(&mut self) -> u8 {
        let c = self.peek();
        if c != 0 {
            self.n += 1;
        }
        c
    }
    fn check(&mut self, c: u8) -> bool {
        if self.peek() == c {
            self.n += 1;
            true
        } else {
            false
        }
    }

    fn empty(&mut self, k: K) -> R {
        if self.comps.len() >= self.num_comps {
            return None;
        }
        self.comps.push(Comp { k, l: None, r: None, text: Text::Static(""), num: 0, aux: 0 });
        Some(self.comps.len() - 1)
    }

    fn comp(&mut self, k: K, l: R, r: R) -> R {
        use K::*;
        let ok = match k {
            QualName | LocalName | TypedName | TaggedName | Template | ConstructionVtable | VendorTypeQual | PtrmemType | Unary
            | Binary | BinaryArgs | Trinary | TrinaryArg1 | Literal | LiteralNeg | VendorExpr | VectorType | Clone | ModuleEntity => {
                l.is_some() && r.is_some()
            }
            Vtable | Vtt | Typeinfo | TypeinfoName | TypeinfoFn | Thunk | VirtualThunk | CovariantThunk | JavaClass | Guard | TlsInit
            | TlsWrapper | Reftemp | HiddenAlias | TransactionClone | NontransactionClone | Pointer | Reference | RvalueReference
            | Complex | Imaginary | VendorType | Cast | Conversion | Decltype | PackExpansion | GlobalConstructors | GlobalDestructors
            | Nullary | TrinaryArg2 | TparmObj | StructuredBinding | ModuleInit | TemplateHead | TemplateNonTypeParm
            | TemplateTemplateParm | TemplatePackParm => l.is_some(),
            ArrayType | InitializerList | ModuleName | ModulePartition => r.is_some(),
            FunctionType | Restrict | Volatile | Const | ArgList | TemplateArgList | TemplateTypeParm => true,
            k if is_fnqual(k) => true,
            _ => false,
        };
        if !ok {
            return None;
        }
        let id = self.empty(k)?;
        self.comps[id].l = l;
        self.comps[id].r = r;
        Some(id)
    }

    fn name_comp(&mut self, text: Text) -> R {
        let id = self.empty(K::Name)?;
        self.comps[id].text = text;
        Some(id)
    }

    fn num_comp(&mut self, k: K, num: i64) -> R {
        let id = self.empty(k)?;
        self.comps[id].num = num;
        Some(id)
    }

    fn builtin(&mut self, idx: usize) -> R {
        let id = self.empty(K::BuiltinType)?;
        self.comps[id].aux = idx;
        Some(id)
    }

    fn sub_std(&mut self, s: &'static str) -> R {
        let id = self.empty(K::SubStd)?;
        self.comps[id].text = Text::Static(s);
        Some(id)
    }

    fn add_sub(&mut self, dc: R) -> bool {
        match dc {
            Some(id) if self.subs.len() < self.num_subs => {
                self.subs.push(id);
                true
            }
            _ => false,
        }
    }

    fn left_of(&self, id: Id) -> R {
        self.comps[id].l
    }
    fn right_of(&self, id: Id) -> R {
        self.comps[id].r
    }
    fn kind(&self, id: Id) -> K {
        self.comps[id].k
    }

    // <mangled-name> ::= _Z <encoding> [<clone-suffix>]*
    fn mangled_name(&mut self, top_level: bool) -> R {
        if !self.check(b'_') && top_level {
            return None;
        }
        if !self.check(b'Z') {
            return None;
        }
        let mut p = self.encoding(top_level);
        if top_level && self.opts.params {
            while self.peek() == b'.'
                && (self.peek_next().is_ascii_lowercase() || self.peek_next() == b'_' || self.peek_next().is_ascii_digit())
            {
                p = self.clone_suffix(p);
            }
        }
        p
    }

    fn has_return_type(&self, dc: R) -> bool {
        let Some(id) = dc else { return false };
        match self.kind(id) {
            K::LocalName => self.has_return_type(self.right_of(id)),
            K::Template => !self.is_ctor_dtor_or_conversion(self.left_of(id)),
            k if is_fnqual(k) => self.has_return_type(self.left_of(id)),
            _ => false,
        }
    }

    fn is_ctor_dtor_or_conversion(&self, dc: R) -> bool {
        let Some(id) = dc else { return false };
        match self.kind(id) {
            K::QualName | K::LocalName => self.is_ctor_dtor_or_conversion(self.right_of(id)),
            K::Ctor | K::Dtor | K::Conversion => true,
            _ => false,
        }
    }

    fn encoding(&mut self, top_level: bool) -> R {
        let peek = self.peek();
        if peek == b'G' || peek == b'T' {
            return self.special_name();
        }
        let mut dc = self.name(false)?;
        if top_level && !self.opts.params {
            while is_fnqual(self.kind(dc)) {
                dc = self.left_of(dc)?;
            }
            if self.kind(dc) == K::LocalName {
                while let Some(r) = self.right_of(dc) {
                    if !is_fnqual(self.kind(r)) {
                        break;
                    }
                    let l = self.left_of(r);
                    self.comps[dc].r = l;
                }
                self.right_of(dc)?;
            }
            return Some(dc);
        }
        let peek = self.peek();
        if peek != 0 && peek != b'E' {
            let has_ret = self.has_return_type(Some(dc));
            let ftype = self.bare_function_type(has_ret)?;
            if !top_level && self.kind(dc) == K::LocalName && self.kind(ftype) == K::FunctionType {
                self.comps[ftype].l = None;
            }
            return self.comp(K::TypedName, Some(dc), Some(ftype));
        }
        Some(dc)
    }

    fn abi_tags(&mut self, mut dc: R) -> R {
        let hold = self.last_name;
        while self.peek() == b'B' {
            self.advance(1);
            let tag = self.source_name();
            dc = self.comp(K::TaggedName, dc, tag);
        }
        self.last_name = hold;
        dc
    }

    fn name(&mut self, substable: bool) -> R {
        let peek = self.peek();
        let mut dc: R = None;
        let mut module: R = None;
        let mut subst = false;
        match peek {
            b'N' => dc = self.nested_name(),
            b'Z' => dc = self.local_name(),
            b'U' => dc = self.unqualified_name(None, None),
            _ => {
                if peek == b'S' {
                    if self.peek_next() == b't' {
                        self.advance(2);
                        dc = self.name_comp(Text::Static("std"));
                    }
                    if self.peek() == b'S' {
                        module = self.substitution(false);
                        let m = module?;
                        if !matches!(self.kind(m), K::ModuleName | K::ModulePartition) {
                            if dc.is_some() {
                                return None;
                            }
                            subst = true;
                            dc = Some(m);
                            module = None;
                        }
                    }
                }
                if !subst {
                    dc = self.unqualified_name(dc, module);
                }
                if self.peek() == b'I' {
                    if !subst && !self.add_sub(dc) {
                        return None;
                    }
                    let args = self.template_args();
                    dc = self.comp(K::Template, dc, args);
                    subst = false;
                }
            }
        }
        if substable && !subst && !self.add_sub(dc) {
            return None;
        }
        dc
    }

    fn nested_name(&mut self) -> R {
        if !self.check(b'N') {
            return None;
        }
        // CV-qualifiers wrap the name: build them outside-in with a hole for the prefix.
        let (mut ret, hole) = self.cv_qualifiers(true)?;
        let rqual = self.ref_qualifier(None);
        let prefix = self.prefix(true)?;
        match hole {
            Some(h) => self.comps[h].l = Some(prefix),
            None => ret = Some(prefix),
        }
        if let Some(rq) = rqual {
            self.comps[rq].l = ret;
            ret = Some(rq);
        }
        if !self.check(b'E') {
            return None;
        }
        ret
    }

    fn prefix(&mut self, substable: bool) -> R {
        let mut ret: R = None;
        loop {
            let peek = self.peek();
            if peek == b'D' && (self.peek_next() == b'T' || self.peek_next() == b't') {
                if ret.is_some() {
                    return None;
                }
                ret = self.type_();
            } else if peek == b'I' {
                ret?;
                let dc = self.template_args()?;
                ret = self.comp(K::Template, ret, Some(dc));
            } else if peek == b'T' {
                if ret.is_some() {
                    return None;
                }
                ret = self.template_param();
            } else if peek == b'M' {
                self.advance(1);
                continue;
            } else {
                let mut module = None;
                if peek == b'S' {
                    let m = self.substitution(true)?;
                    if !matches!(self.kind(m), K::ModuleName | K::ModulePartition) {
                        if ret.is_some() {
                            return None;
                        }
                        ret = Some(m);
                        continue;
                    }
                    module = Some(m);
                }
                ret = self.unqualified_name(ret, module);
            }
            ret?;
            if self.peek() == b'E' {
                break;
            }
            if substable && !self.add_sub(ret) {
                return None;
            }
        }
        ret
    }

    fn maybe_module_name(&mut self, name: &mut R) -> bool {
        while self.peek() == b'W' {
            self.advance(1);
            let mut code = K::ModuleName;
            if self.peek() == b'P' {
                code = K::ModulePartition;
                self.advance(1);
            }
            let sn = self.source_name();
            *name = self.comp(code, *name, sn);
            if name.is_none() || !self.add_sub(*name) {
                return false;
            }
        }
        true
    }

    fn unqualified_name(&mut self, scope: R, module: R) -> R {
        let mut module = module;
        if !self.maybe_module_name(&mut module) {
            return None;
        }
        let peek = self.peek();
        let mut ret: R;
        if peek.is_ascii_digit() {
            ret = self.source_name();
        } else if peek.is_ascii_lowercase() {
            let was_expr = self.is_expression;
            if peek == b'o' && self.peek_next() == b'n' {
                self.advance(2);
                self.is_expression = false;
            }
            ret = self.operator_name();
            self.is_expression = was_expr;
            if let Some(id) = ret
                && self.kind(id) == K::Operator
                && OPERATORS[self.comps[id].aux].0 == "li"
            {
                let sn = self.source_name();
                ret = self.comp(K::Unary, ret, sn);
            }
        } else if peek == b'D' && self.peek_next() == b'C' {
            self.advance(2);
            let mut prev: R = None;
            ret = None;
            loop {
                let sn = self.source_name();
                let next = self.comp(K::StructuredBinding, sn, None);
                match prev {
                    Some(p) => self.comps[p].r = next,
                    None => ret = next,
                }
                prev = next;
                if prev.is_none() || self.peek() == b'E' {
                    break;
                }
            }
            if prev.is_some() {
                self.advance(1);
            } else {
                ret = None;
            }
        } else if peek == b'C' || peek == b'D' {
            ret = self.ctor_dtor_name();
        } else if peek == b'L' {
            self.advance(1);
            ret = self.source_name();
            ret?;
            if !self.discriminator() {
                return None;
            }
        } else if peek == b'U' {
            ret = match self.peek_next() {
                b'l' => self.lambda(),
                b't' => self.unnamed_type(),
                _ => return None,
            };
        } else {
            return None;
        }
        if module.is_some() {
            ret = self.comp(K::ModuleEntity, ret, module);
        }
        if self.peek() == b'B' {
            ret = self.abi_tags(ret);
        }
        if scope.is_some() {
            ret = self.comp(K::QualName, scope, ret);
        }
        ret
    }

    fn source_name(&mut self) -> R {
        let len = self.number();
        if len <= 0 {
            return None;
        }
        let ret = self.identifier(len as usize);
        self.last_name = ret;
        ret
    }

    fn number(&mut self) -> i64 {
        let mut negative = false;
        let mut peek = self.peek();
        if peek == b'n' {
            negative = true;
            self.advance(1);
            peek = self.peek();
        }
        let mut ret: i64 = 0;
        loop {
            if !peek.is_ascii_digit() {
                return if negative { -ret } else { ret };
            }
            let d = i64::from(peek - b'0');
            if ret > (i64::from(i32::MAX) - d) / 10 {
                return -1;
            }
            ret = ret * 10 + d;
            self.advance(1);
            peek = self.peek();
        }
    }

    fn number_component(&mut self) -> R {
        let n = self.number();
        self.num_comp(K::Number, n)
    }

    fn identifier(&mut self, len: usize) -> R {
        let start = self.n;
        if self.s.len() - start < len {
            return None;
        }
        self.advance(len);
        let name = &self.s[start..start + len];
        const ANON: &[u8] = b"_GLOBAL_";
        if len >= ANON.len() + 2 && name.starts_with(ANON) {
            let s = &name[ANON.len()..];
            if matches!(s[0], b'.' | b'_' | b'$') && s[1] == b'N' {
                return self.name_comp(Text::Static("(anonymous namespace)"));
            }
        }
        self.name_comp(Text::Input(start, len))
    }

    fn operator_name(&mut self) -> R {
        let c1 = self.next_char();
        let c2 = self.next_char();
        if c1 == b'v' && c2.is_ascii_digit() {
            let name = self.source_name();
            let id = self.empty(K::ExtendedOperator)?;
            name?;
            self.comps[id].num = i64::from(c2 - b'0');
            self.comps[id].l = name;
            return Some(id);
        }
        if c1 == b'c' && c2 == b'v' {
            let was_conversion = self.is_conversion;
            self.is_conversion = !self.is_expression;
            let t = self.type_();
            let res = if self.is_conversion { self.comp(K::Conversion, t, None) } else { self.comp(K::Cast, t, None) };
            self.is_conversion = was_conversion;
            return res;
        }
        let code = [c1, c2];
        let idx = OPERATORS.iter().position(|o| o.0.as_bytes() == code)?;
        let id = self.empty(K::Operator)?;
        self.comps[id].aux = idx;
        Some(id)
    }

    fn special_name(&mut self) -> R {
        if self.check(b'T') {
            match self.next_char() {
                b'V' => {
                    let t = self.type_();
                    self.comp(K::Vtable, t, None)
                }
                b'T' => {
                    let t = self.type_();
                    self.comp(K::Vtt, t, None)
                }
                b'I' => {
                    let t = self.type_();
                    self.comp(K::Typeinfo, t, None)
                }
                b'S' => {
                    let t = self.type_();
                    self.comp(K::TypeinfoName, t, None)
                }
                b'h' => {
                    if !self.call_offset(b'h') {
                        return None;
                    }
                    let e = self.encoding(false);
                    self.comp(K::Thunk, e, None)
                }
                b'v' => {
                    if !self.call_offset(b'v') {
                        return None;
                    }
                    let e = self.encoding(false);
                    self.comp(K::VirtualThunk, e, None)
                }
                b'c' => {
                    if !self.call_offset(0) || !self.call_offset(0) {
                        return None;
                    }
                    let e = self.encoding(false);
                    self.comp(K::CovariantThunk, e, None)
                }
                b'C' => {
                    let derived = self.type_();
                    let offset = self.number();
                    if offset < 0 || !self.check(b'_') {
                        return None;
                    }
                    let base = self.type_();
                    self.comp(K::ConstructionVtable, base, derived)
                }
                b'F' => {
                    let t = self.type_();
                    self.comp(K::TypeinfoFn, t, None)
                }
                b'J' => {
                    let t = self.type_();
                    self.comp(K::JavaClass, t, None)
                }
                b'H' => {
                    let n = self.name(false);
                    self.comp(K::TlsInit, n, None)
                }
                b'W' => {
                    let n = self.name(false);
                    self.comp(K::TlsWrapper, n, None)
                }
                b'A' => {
                    let a = self.template_arg();
                    self.comp(K::TparmObj, a, None)
                }
                _ => None,
            }
        } else if self.check(b'G') {
            match self.next_char() {
                b'V' => {
                    let n = self.name(false);
                    self.comp(K::Guard, n, None)
                }
                b'R' => {
                    let n = self.name(false);
                    let num = self.number_component();
                    self.comp(K::Reftemp, n, num)
                }
                b'A' => {
                    let e = self.encoding(false);
                    self.comp(K::HiddenAlias, e, None)
                }
                b'I' => {
                    let mut module = None;
                    if !self.maybe_module_name(&mut module) || module.is_none() {
                        return None;
                    }
                    self.comp(K::ModuleInit, module, None)
                }
                b'T' => match self.next_char() {
                    b'n' => {
                        let e = self.encoding(false);
                        self.comp(K::NontransactionClone, e, None)
                    }
                    _ => {
                        let e = self.encoding(false);
                        self.comp(K::TransactionClone, e, None)
                    }
                },
                // Java resources (`Gr`) are not produced by C++ or Rust compilers.
                _ => None,
            }
        } else {
            None
        }
    }

    fn call_offset(&mut self, c: u8) -> bool {
        let c = if c == 0 { self.next_char() } else { c };
        if c == b'h' {
            self.number();
        } else if c == b'v' {
            self.number();
            if !self.check(b'_') {
                return false;
            }
            self.number();
        } else {
            return false;
        }
        self.check(b'_')
    }

    fn ctor_dtor_name(&mut self) -> R {
        match self.peek() {
            b'C' => {
                let mut inheriting = false;
                if self.peek_next() == b'I' {
                    inheriting = true;
                    self.advance(1);
                }
                if !matches!(self.peek_next(), b'1'..=b'5') {
                    return None;
                }
                self.advance(2);
                if inheriting {
                    self.type_();
                }
                let name = self.last_name;
                let id = self.empty(K::Ctor)?;
                name?;
                self.comps[id].l = name;
                Some(id)
            }
            b'D' => {
                if !matches!(self.peek_next(), b'0'..=b'2' | b'4' | b'5') {
                    return None;
                }
                self.advance(2);
                let name = self.last_name;
                let id = self.empty(K::Dtor)?;
                name?;
                self.comps[id].l = name;
                Some(id)
            }
            _ => None,
        }
    }

    fn next_is_type_qual(&self) -> bool {
        let p = self.peek();
        if p == b'r' || p == b'V' || p == b'K' {
            return true;
        }
        p == b'D' && matches!(self.peek_next(), b'x' | b'o' | b'O' | b'w')
    }

    /// Parses CV/function qualifiers. Returns (outermost component, innermost qualifier whose
    /// left child is still to be filled), or `None` on failure. With no qualifiers both are
    /// `None`.
    fn cv_qualifiers(&mut self, member_fn: bool) -> Option<(R, R)> {
        let mut first: R = None;
        let mut last: R = None;
        let mut chain: Vec<Id> = Vec::new();
        let mut peek = self.peek();
        while self.next_is_type_qual() {
            self.advance(1);
            let mut right = None;
            let t = match peek {
                b'r' => {
                    if member_fn {
                        K::RestrictThis
                    } else {
                        K::Restrict
                    }
                }
                b'V' => {
                    if member_fn {
                        K::VolatileThis
                    } else {
                        K::Volatile
                    }
                }
                b'K' => {
                    if member_fn {
                        K::ConstThis
                    } else {
                        K::Const
                    }
                }
                _ => {
                    let p = self.next_char();
                    match p {
                        b'x' => K::TransactionSafe,
                        b'o' | b'O' => {
                            if p == b'O' {
                                right = Some(self.expression()?);
                                if !self.check(b'E') {
                                    return None;
                                }
                            }
                            K::Noexcept
                        }
                        b'w' => {
                            right = Some(self.parmlist()?);
                            if !self.check(b'E') {
                                return None;
                            }
                            K::ThrowSpec
                        }
                        _ => return None,
                    }
                }
            };
            let id = self.comp(t, None, right)?;
            match last {
                Some(l) => self.comps[l].l = Some(id),
                None => first = Some(id),
            }
            last = Some(id);
            chain.push(id);
            peek = self.peek();
        }
        if !member_fn && peek == b'F' {
            for &id in &chain {
                self.comps[id].k = match self.comps[id].k {
                    K::Restrict => K::RestrictThis,
                    K::Volatile => K::VolatileThis,
                    K::Const => K::ConstThis,
                    k => k,
                };
            }
        }
        Some((first, last))
    }

    fn ref_qualifier(&mut self, sub: R) -> R {
        let peek = self.peek();
        if peek == b'R' || peek == b'O' {
            let t = if peek == b'R' { K::ReferenceThis } else { K::RvalueReferenceThis };
            self.advance(1);
            return self.comp(t, sub, None);
        }
        sub
    }

    fn type_(&mut self) -> R {
        if self.next_is_type_qual() {
            let (ret, hole) = self.cv_qualifiers(false)?;
            let hole = hole?;
            // Qualifiers before a function type apply to `this`: the unqualified function type is
            // not a substitution candidate, so parse it without adding it.
            let inner = if self.peek() == b'F' { self.function_type() } else { self.type_() };
            let inner = inner?;
            self.comps[hole].l = Some(inner);
            let mut ret = ret?;
            if matches!(self.kind(inner), K::RvalueReferenceThis | K::ReferenceThis) {
                // Move the ref-qualifier outside the cv-qualifiers so they print in order.
                let fn_type = self.comps[inner].l;
                self.comps[inner].l = Some(ret);
                ret = inner;
                self.comps[hole].l = fn_type;
            }
            if !self.add_sub(Some(ret)) {
                return None;
            }
            return Some(ret);
        }
        let mut can_subst = true;
        let peek = self.peek();
        let ret: R = match peek {
            b'a'..=b'j' | b'l'..=b'o' | b's' | b't' | b'v'..=b'z' => {
                let r = self.builtin((peek - b'a') as usize);
                can_subst = false;
                self.advance(1);
                r
            }
            b'u' => {
                self.advance(1);
                let sn = self.source_name();
                self.comp(K::VendorType, sn, None)
            }
            b'F' => self.function_type(),
            b'A' => self.array_type(),
            b'M' => self.pointer_to_member_type(),
            b'T' => {
                let mut r = self.template_param();
                if self.peek() == b'I' {
                    if !self.is_conversion {
                        if !self.add_sub(r) {
                            return None;
                        }
                        let args = self.template_args();
                        r = self.comp(K::Template, r, args);
                    } else {
                        let checkpoint = (self.n, self.comps.len(), self.subs.len());
                        let args = self.template_args();
                        if self.peek() == b'I' {
                            if !self.add_sub(r) {
                                return None;
                            }
                            r = self.comp(K::Template, r, args);
                        } else {
                            self.n = checkpoint.0;
                            self.comps.truncate(checkpoint.1);
                            self.subs.truncate(checkpoint.2);
                        }
                    }
                }
                r
            }
            b'O' => {
                self.advance(1);
                let t = self.type_();
                self.comp(K::RvalueReference, t, None)
            }
            b'P' => {
                self.advance(1);
                let t = self.type_();
                self.comp(K::Pointer, t, None)
            }
            b'R' => {
                self.advance(1);
                let t = self.type_();
                self.comp(K::Reference, t, None)
            }
            b'C' => {
                self.advance(1);
                let t = self.type_();
                self.comp(K::Complex, t, None)
            }
            b'G' => {
                self.advance(1);
                let t = self.type_();
                self.comp(K::Imaginary, t, None)
            }
            b'U' => {
                self.advance(1);
                let mut r = self.source_name();
                if self.peek() == b'I' {
                    let args = self.template_args();
                    r = self.comp(K::Template, r, args);
                }
                let t = self.type_();
                self.comp(K::VendorTypeQual, t, r)
            }
            b'D' => {
                can_subst = false;
                self.advance(1);
                let p = self.next_char();
                match p {
                    b'T' | b't' => {
                        let e = self.expression();
                        let mut r = self.comp(K::Decltype, e, None);
                        if r.is_some() && self.next_char() != b'E' {
                            r = None;
                        }
                        can_subst = true;
                        r
                    }
                    b'p' => {
                        let t = self.type_();
                        can_subst = true;
                        self.comp(K::PackExpansion, t, None)
                    }
                    b'a' => self.name_comp(Text::Static("auto")),
                    b'c' => self.name_comp(Text::Static("decltype(auto)")),
                    b'f' => self.builtin(26),
                    b'd' => self.builtin(27),
                    b'e' => self.builtin(28),
                    b'h' => self.builtin(29),
                    b'u' => self.builtin(30),
                    b's' => self.builtin(31),
                    b'i' => self.builtin(32),
                    b'F' => {
                        let arg = self.number();
                        if self.peek() == b'b' {
                            if arg != 16 {
                                return None;
                            }
                            self.advance(1);
                            self.builtin(35)
                        } else {
                            let suffix = if self.peek() == b'x' { b'x' } else { 0 };
                            if suffix == 0 && self.peek() != b'_' {
                                return None;
                            }
                            let id = self.empty(K::ExtendedBuiltinType)?;
                            self.comps[id].aux = 34 | (usize::from(suffix) << 8);
                            self.comps[id].num = i64::from(arg as i16);
                            self.advance(1);
                            Some(id)
                        }
                    }
                    b'v' => {
                        can_subst = true;
                        self.vector_type()
                    }
                    b'n' => self.builtin(33),
                    _ => return None,
                }
            }
            _ => return self.name(true),
        };
        if can_subst && !self.add_sub(ret) {
            return None;
        }
        ret
    }

    fn function_type(&mut self) -> R {
        if !self.opts.no_recurse_limit {
            if self.recursion_level > RECURSION_LIMIT {
                return None;
            }
            self.recursion_level += 1;
        }
        let mut ret = None;
        if self.check(b'F') {
            if self.peek() == b'Y' {
                self.advance(1);
            }
            ret = self.bare_function_type(true);
            ret = self.ref_qualifier(ret);
            if !self.check(b'E') {
                ret = None;
            }
        }
        if !self.opts.no_recurse_limit {
            self.recursion_level -= 1;
        }
        ret
    }

    fn parmlist(&mut self) -> R {
        let mut first: R = None;
        let mut last: R = None;
        loop {
            let peek = self.peek();
            if peek == 0 || peek == b'E' || peek == b'.' {
                break;
            }
            if (peek == b'R' || peek == b'O') && self.peek_next() == b'E' {
                break;
            }
            let t = self.type_()?;
            let node = self.comp(K::ArgList, Some(t), None)?;
            match last {
                Some(l) => self.comps[l].r = Some(node),
                None => first = Some(node),
            }
            last = Some(node);
        }
        let tl = first?;
        if self.right_of(tl).is_none()
            && let Some(l) = self.left_of(tl)
            && self.kind(l) == K::BuiltinType
            && BUILTINS[self.comps[l].aux].1 == 9
        {
            self.comps[tl].l = None;
        }
        Some(tl)
    }

    fn bare_function_type(&mut self, mut has_return_type: bool) -> R {
        if self.peek() == b'J' {
            self.advance(1);
            has_return_type = true;
        }
        let ret_type = if has_return_type { Some(self.type_()?) } else { None };
        let tl = self.parmlist()?;
        self.comp(K::FunctionType, ret_type, Some(tl))
    }

    fn array_type(&mut self) -> R {
        if !self.check(b'A') {
            return None;
        }
        let peek = self.peek();
        let dim = if peek == b'_' {
            None
        } else if peek.is_ascii_digit() {
            let start = self.n;
            loop {
                self.advance(1);
                if !self.peek().is_ascii_digit() {
                    break;
                }
            }
            Some(self.name_comp(Text::Input(start, self.n - start))?)
        } else {
            Some(self.expression()?)
        };
        if !self.check(b'_') {
            return None;
        }
        let t = self.type_();
        self.comp(K::ArrayType, dim, t)
    }

    fn vector_type(&mut self) -> R {
        let dim = if self.peek() == b'_' {
            self.advance(1);
            self.expression()
        } else {
            self.number_component()
        };
        dim?;
        if !self.check(b'_') {
            return None;
        }
        let t = self.type_();
        self.comp(K::VectorType, dim, t)
    }

    fn pointer_to_member_type(&mut self) -> R {
        if !self.check(b'M') {
            return None;
        }
        let cl = self.type_()?;
        let mem = self.type_()?;
        self.comp(K::PtrmemType, Some(cl), Some(mem))
    }

    fn compact_number(&mut self) -> i64 {
        let num = if self.peek() == b'_' {
            0
        } else if self.peek() == b'n' {
            return -1;
        } else {
            self.number() + 1
        };
        if num < 0 || !self.check(b'_') {
            return -1;
        }
        num
    }

    fn template_param(&mut self) -> R {
        if !self.check(b'T') {
            return None;
        }
        let p = self.compact_number();
        if p < 0 {
            return None;
        }
        self.num_comp(K::TemplateParam, p)
    }

    fn template_args(&mut self) -> R {
        if self.peek() != b'I' && self.peek() != b'J' {
            return None;
        }
        self.advance(1);
        self.template_args_1()
    }

    fn template_args_1(&mut self) -> R {
        let hold = self.last_name;
        if self.peek() == b'E' {
            self.advance(1);
            return self.comp(K::TemplateArgList, None, None);
        }
        let mut first: R = None;
        let mut last: R = None;
        loop {
            let a = self.template_arg()?;
            let node = self.comp(K::TemplateArgList, Some(a), None)?;
            match last {
                Some(l) => self.comps[l].r = Some(node),
                None => first = Some(node),
            }
            last = Some(node);
            if self.peek() == b'E' {
                self.advance(1);
                break;
            }
        }
        self.last_name = hold;
        first
    }

    fn template_arg(&mut self) -> R {
        match self.peek() {
            b'X' => {
                self.advance(1);
                let r = self.expression();
                if !self.check(b'E') {
                    return None;
                }
                r
            }
            b'L' => self.expr_primary(),
            b'I' | b'J' => self.template_args(),
            _ => self.type_(),
        }
    }

    fn exprlist(&mut self, terminator: u8) -> R {
        if self.peek() == terminator {
            self.advance(1);
            return self.comp(K::ArgList, None, None);
        }
        let mut first: R = None;
        let mut last: R = None;
        loop {
            let arg = self.expression()?;
            let node = self.comp(K::ArgList, Some(arg), None)?;
            match last {
                Some(l) => self.comps[l].r = Some(node),
                None => first = Some(node),
            }
            last = Some(node);
            if self.peek() == terminator {
                self.advance(1);
                break;
            }
        }
        first
    }

    fn op_code(&self, id: Id) -> Option<&'static str> {
        (self.kind(id) == K::Operator).then(|| OPERATORS[self.comps[id].aux].0)
    }

    fn unresolved_name(&mut self) -> R {
        self.advance(2);
        let peek = self.peek();
        let t = if self.unresolved_name_state != 0
            && (peek.is_ascii_digit() || peek.is_ascii_lowercase() || peek == b'C' || peek == b'U' || peek == b'L')
        {
            self.unresolved_name_state = -1;
            let t = self.prefix(false);
            if self.peek() == b'E' {
                self.advance(1);
            }
            t
        } else {
            self.type_()
        };
        let mut name = self.unqualified_name(t, None);
        if self.peek() == b'I' {
            let args = self.template_args();
            name = self.comp(K::Template, name, args);
        }
        name
    }

    fn expression(&mut self) -> R {
        let was = self.is_expression;
        self.is_expression = true;
        let r = self.expression_1();
        self.is_expression = was;
        r
    }

    fn expression_1(&mut self) -> R {
        let peek = self.peek();
        if peek == b'L' {
            return self.expr_primary();
        }
        if peek == b'T' {
            return self.template_param();
        }
        if peek == b's' && self.peek_next() == b'r' {
            return self.unresolved_name();
        }
        if peek == b's' && self.peek_next() == b'p' {
            self.advance(2);
            let e = self.expression_1();
            return self.comp(K::PackExpansion, e, None);
        }
        if peek == b'f' && self.peek_next() == b'p' {
            self.advance(2);
            let index = if self.peek() == b'T' {
                self.advance(1);
                0
            } else {
                let i = self.compact_number();
                if i == i64::from(i32::MAX) || i == -1 {
                    return None;
                }
                i + 1
            };
            return self.num_comp(K::FunctionParam, index);
        }
        if peek.is_ascii_digit() || (peek == b'o' && self.peek_next() == b'n') {
            if peek == b'o' {
                self.advance(2);
            }
            let name = self.unqualified_name(None, None)?;
            if self.peek() == b'I' {
                let args = self.template_args();
                return self.comp(K::Template, Some(name), args);
            }
            return Some(name);
        }
        if (peek == b'i' || peek == b't') && self.peek_next() == b'l' {
            self.advance(2);
            let t = if peek == b't' { self.type_() } else { None };
            if self.peek() == 0 || self.peek_next() == 0 {
                return None;
            }
            let list = self.exprlist(b'E');
            return self.comp(K::InitializerList, t, list);
        }
        if peek == b'u' {
            self.advance(1);
            let name = self.source_name();
            let args = self.template_args_1();
            return self.comp(K::VendorExpr, name, args);
        }
        let op = self.operator_name()?;
        let code = self.op_code(op);
        if code == Some("st") {
            let t = self.type_();
            return self.comp(K::Unary, Some(op), t);
        }
        let args = match self.kind(op) {
            K::Operator => i64::from(OPERATORS[self.comps[op].aux].2),
            K::ExtendedOperator => self.comps[op].num,
            K::Cast => 1,
            _ => return None,
        };
        match args {
            0 => self.comp(K::Nullary, Some(op), None),
            1 => {
                let mut suffix = false;
                if let Some(c) = code {
                    let b = c.as_bytes();
                    if (b[0] == b'p' || b[0] == b'm') && b[1] == b[0] {
                        suffix = !self.check(b'_');
                    }
                }
                let mut operand = if self.kind(op) == K::Cast && self.check(b'_') {
                    self.exprlist(b'E')
                } else if code == Some("sP") {
                    self.template_args_1()
                } else {
                    self.expression_1()
                };
                if suffix {
                    operand = self.comp(K::BinaryArgs, operand, operand);
                }
                self.comp(K::Unary, Some(op), operand)
            }
            2 => {
                let code = code?;
                let left = if matches!(code, "dc" | "sc" | "cc" | "rc") {
                    self.type_()
                } else if code.starts_with('f') {
                    self.operator_name()
                } else if code == "di" {
                    self.unqualified_name(None, None)
                } else {
                    self.expression_1()
                };
                let right = if code == "cl" {
                    self.exprlist(b'E')
                } else if code == "dt" || code == "pt" {
                    let p = self.peek();
                    if (p == b'g' && self.peek_next() == b's') || (p == b's' && self.peek_next() == b'r') {
                        self.expression_1()
                    } else {
                        let mut r = self.unqualified_name(None, None);
                        if self.peek() == b'I' {
                            let args = self.template_args();
                            r = self.comp(K::Template, r, args);
                        }
                        r
                    }
                } else {
                    self.expression_1()
                };
                let args = self.comp(K::BinaryArgs, left, right);
                self.comp(K::Binary, Some(op), args)
            }
            3 => {
                let code = code?;
                let (first, second, third);
                if code == "qu" || code == "dX" {
                    first = self.expression_1();
                    second = self.expression_1();
                    third = self.expression_1();
                    third?;
                } else if code.starts_with('f') {
                    first = self.operator_name();
                    second = self.expression_1();
                    third = self.expression_1();
                    third?;
                } else if code.starts_with('n') {
                    if code != "nw" && code != "na" {
                        return None;
                    }
                    first = self.exprlist(b'_');
                    second = self.type_();
                    if self.peek() == b'E' {
                        self.advance(1);
                        third = None;
                    } else if self.peek() == b'p' && self.peek_next() == b'i' {
                        self.advance(2);
                        third = self.exprlist(b'E');
                    } else if self.peek() == b'i' && self.peek_next() == b'l' {
                        third = self.expression_1();
                    } else {
                        return None;
                    }
                } else {
                    return None;
                }
                let a2 = self.comp(K::TrinaryArg2, second, third);
                let a1 = self.comp(K::TrinaryArg1, first, a2);
                self.comp(K::Trinary, Some(op), a1)
            }
            _ => None,
        }
    }

    fn expr_primary(&mut self) -> R {
        if !self.check(b'L') {
            return None;
        }
        let ret = if self.peek() == b'_' || self.peek() == b'Z' {
            self.mangled_name(false)
        } else {
            let t = self.type_()?;
            if self.kind(t) == K::BuiltinType && self.comps[t].aux == 33 && self.peek() == b'E' {
                self.advance(1);
                return Some(t);
            }
            let mut k = K::Literal;
            if self.peek() == b'n' {
                k = K::LiteralNeg;
                self.advance(1);
            }
            let start = self.n;
            while self.peek() != b'E' {
                if self.peek() == 0 {
                    return None;
                }
                self.advance(1);
            }
            let name = self.name_comp(Text::Input(start, self.n - start));
            self.comp(k, Some(t), name)
        };
        if !self.check(b'E') {
            return None;
        }
        ret
    }

    fn local_name(&mut self) -> R {
        if !self.check(b'Z') {
            return None;
        }
        let function = self.encoding(false)?;
        if !self.check(b'E') {
            return None;
        }
        let name;
        if self.peek() == b's' {
            self.advance(1);
            if !self.discriminator() {
                return None;
            }
            name = self.name_comp(Text::Static("string literal"));
        } else {
            let mut num = -1;
            if self.peek() == b'd' {
                self.advance(1);
                num = self.compact_number();
                if num < 0 {
                    return None;
                }
            }
            let mut n = self.name(false);
            if let Some(id) = n
                && !matches!(self.kind(id), K::Lambda | K::UnnamedType)
                && !self.discriminator()
            {
                return None;
            }
            if num >= 0 {
                let d = self.empty(K::DefaultArg)?;
                self.comps[d].num = num;
                self.comps[d].l = n;
                n = Some(d);
            }
            name = n;
        }
        if self.kind(function) == K::TypedName
            && let Some(r) = self.right_of(function)
            && self.kind(r) == K::FunctionType
        {
            self.comps[r].l = None;
        }
        self.comp(K::LocalName, Some(function), name)
    }

    fn discriminator(&mut self) -> bool {
        if self.peek() != b'_' {
            return true;
        }
        self.advance(1);
        let mut underscores = 1;
        if self.peek() == b'_' {
            underscores += 1;
            self.advance(1);
        }
        let d = self.number();
        if d < 0 {
            return false;
        }
        if underscores > 1 && d >= 10 {
            if self.peek() == b'_' {
                self.advance(1);
            } else {
                return false;
            }
        }
        true
    }

    fn template_parm(&mut self, bad: &mut bool) -> R {
        if self.peek() != b'T' {
            return None;
        }
        let (op, kind) = match self.peek_next() {
            b'p' => {
                self.advance(2);
                let op = self.template_parm(bad);
                if op.is_none() {
                    *bad = true;
                    return None;
                }
                (op, K::TemplatePackParm)
            }
            b'y' => {
                self.advance(2);
                (None, K::TemplateTypeParm)
            }
            b'n' => {
                self.advance(2);
                let op = self.type_();
                if op.is_none() {
                    *bad = true;
                    return None;
                }
                (op, K::TemplateNonTypeParm)
            }
            b't' => {
                self.advance(2);
                let op = self.template_head(bad);
                if op.is_none() || !self.check(b'E') {
                    *bad = true;
                    return None;
                }
                (op, K::TemplateTemplateParm)
            }
            _ => return None,
        };
        self.comp(kind, op, None)
    }

    fn template_head(&mut self, bad: &mut bool) -> R {
        let mut first: R = None;
        let mut last: R = None;
        while let Some(op) = self.template_parm(bad) {
            match last {
                Some(l) => self.comps[l].r = Some(op),
                None => first = Some(op),
            }
            last = Some(op);
        }
        if first.is_some() { self.comp(K::TemplateHead, first, None) } else { None }
    }

    fn lambda(&mut self) -> R {
        if !self.check(b'U') || !self.check(b'l') {
            return None;
        }
        let mut bad = false;
        let head = self.template_head(&mut bad);
        if bad {
            return None;
        }
        let mut tl = self.parmlist()?;
        if let Some(h) = head {
            self.comps[h].r = Some(tl);
            tl = h;
        }
        if !self.check(b'E') {
            return None;
        }
        let num = self.compact_number();
        if num < 0 {
            return None;
        }
        let id = self.empty(K::Lambda)?;
        self.comps[id].l = Some(tl);
        self.comps[id].num = num;
        Some(id)
    }

    fn unnamed_type(&mut self) -> R {
        if !self.check(b'U') || !self.check(b't') {
            return None;
        }
        let num = self.compact_number();
        if num < 0 {
            return None;
        }
        let r = self.num_comp(K::UnnamedType, num);
        if !self.add_sub(r) {
            return None;
        }
        r
    }

    fn clone_suffix(&mut self, encoding: R) -> R {
        let start = self.n;
        let s = self.s;
        let mut p = start;
        let at = |i: usize| s.get(i).copied().unwrap_or(0);
        if at(p) == b'.' && (at(p + 1).is_ascii_lowercase() || at(p + 1).is_ascii_digit() || at(p + 1) == b'_') {
            p += 2;
            while at(p).is_ascii_lowercase() || at(p).is_ascii_digit() || at(p) == b'_' {
                p += 1;
            }
        }
        while at(p) == b'.' && at(p + 1).is_ascii_digit() {
            p += 2;
            while at(p).is_ascii_digit() {
                p += 1;
            }
        }
        self.advance(p - start);
        let n = self.name_comp(Text::Input(start, p - start));
        self.comp(K::Clone, encoding, n)
    }

    fn substitution(&mut self, prefix: bool) -> R {
        if !self.check(b'S') {
            return None;
        }
        let c = self.next_char();
        if c == b'_' || c.is_ascii_digit() || c.is_ascii_uppercase() {
            let mut id: usize = 0;
            if c != b'_' {
                let mut c = c;
                loop {
                    let d = if c.is_ascii_digit() {
                        (c - b'0') as usize
                    } else if c.is_ascii_uppercase() {
                        (c - b'A') as usize + 10
                    } else {
                        return None;
                    };
                    id = id.checked_mul(36)?.checked_add(d)?;
                    if id > u32::MAX as usize {
                        return None;
                    }
                    c = self.next_char();
                    if c == b'_' {
                        break;
                    }
                }
                id += 1;
            }
            return self.subs.get(id).copied();
        }
        let mut verbose = self.opts.verbose;
        if !verbose && prefix {
            let p = self.peek();
            if p == b'C' || p == b'D' {
                verbose = true;
            }
        }
        let sub = STD_SUBS.iter().find(|s| s.0 == c)?;
        if let Some(last) = sub.3 {
            self.last_name = self.sub_std(last);
        }
        let mut dc = self.sub_std(if verbose { sub.2 } else { sub.1 });
        if self.peek() == b'B' {
            dc = self.abi_tags(dc);
            if !self.add_sub(dc) {
                return None;
            }
        }
        dc
    }
}

// ---------------------------------------------------------------------------------------------
// Printing

#[derive(Debug)]
struct TplNode {
    decl: Option<Id>,
    next: Tpl,
}
type Tpl = Option<Rc<TplNode>>;

#[derive(Clone, Debug)]
struct Mod {
    m: Id,
    printed: bool,
    templates: Tpl,
    next: Option<usize>,
}

struct Printer<'a> {
    p: &'a Parser<'a>,
    out: Vec<u8>,
    last: u8,
    templates: Tpl,
    mods: Vec<Mod>,
    modifiers: Option<usize>,
    pack_index: i64,
    failed: bool,
    recursion: usize,
    lambda_tpl_parms: i64,
    component_stack: Vec<Id>,
    saved_scopes: Vec<(Id, Tpl)>,
    current_template: Option<Id>,
    printing: Vec<u8>,
}

impl<'a> Printer<'a> {
    fn c(&self, id: Id) -> &Comp {
        &self.p.comps[id]
    }
    fn k(&self, id: Id) -> K {
        self.p.comps[id].k
    }
    fn l(&self, id: Id) -> R {
        self.p.comps[id].l
    }
    fn r(&self, id: Id) -> R {
        self.p.comps[id].r
    }
    /// The last character appended (libiberty's `last_char`): taking back an empty pack's
    /// `", "` does not change it, which is why `A<B<C, (empty pack)>>` prints without a space.
    fn last_char(&self) -> u8 {
        self.last
    }
    fn put(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
        if let Some(&c) = s.as_bytes().last() {
            self.last = c;
        }
    }
    fn putc(&mut self, c: u8) {
        self.out.push(c);
        self.last = c;
    }
    fn put_bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
        if let Some(&c) = b.last() {
            self.last = c;
        }
    }
    fn text(&self, t: Text) -> &[u8] {
        match t {
            Text::Input(s, l) => &self.p.s[s..s + l],
            Text::Static(s) => s.as_bytes(),
        }
    }
    fn push_mod(&mut self, m: Id) -> usize {
        self.mods.push(Mod { m, printed: false, templates: self.templates.clone(), next: self.modifiers });
        let i = self.mods.len() - 1;
        self.modifiers = Some(i);
        i
    }

    fn comp(&mut self, dc: R) {
        let Some(id) = dc else {
            self.failed = true;
            return;
        };
        if self.printing[id] > 1 || self.recursion > MAX_RECURSION_COUNT {
            self.failed = true;
            return;
        }
        self.printing[id] += 1;
        self.recursion += 1;
        self.component_stack.push(id);
        self.comp_inner(id);
        self.component_stack.pop();
        self.printing[id] -= 1;
        self.recursion -= 1;
    }

    fn index_template_argument(&self, args: R, i: i64) -> R {
        if i < 0 {
            return args;
        }
        let mut a = args;
        let mut i = i;
        while let Some(id) = a {
            if self.k(id) != K::TemplateArgList {
                return None;
            }
            if i <= 0 {
                break;
            }
            i -= 1;
            a = self.r(id);
        }
        if i != 0 || a.is_none() {
            return None;
        }
        self.l(a?)
    }

    fn lookup_template_argument(&mut self, dc: Id) -> R {
        let Some(t) = self.templates.clone() else {
            self.failed = true;
            return None;
        };
        let decl = t.decl?;
        self.index_template_argument(self.r(decl), self.c(dc).num)
    }

    fn find_pack(&mut self, dc: R) -> R {
        let id = dc?;
        match self.k(id) {
            K::TemplateParam => {
                let a = self.lookup_template_argument(id);
                match a {
                    Some(a) if self.k(a) == K::TemplateArgList => Some(a),
                    _ => None,
                }
            }
            K::PackExpansion => None,
            K::Lambda
            | K::Name
            | K::TaggedName
            | K::Operator
            | K::BuiltinType
            | K::ExtendedBuiltinType
            | K::SubStd
            | K::FunctionParam
            | K::UnnamedType
            | K::DefaultArg
            | K::Number => None,
            K::ExtendedOperator | K::Ctor | K::Dtor => self.find_pack(self.l(id)),
            _ => {
                if let Some(a) = self.find_pack(self.l(id)) {
                    return Some(a);
                }
                self.find_pack(self.r(id))
            }
        }
    }

    fn pack_length(&self, dc: R) -> i64 {
        let mut n = 0;
        let mut d = dc;
        while let Some(id) = d {
            if self.k(id) != K::TemplateArgList || self.l(id).is_none() {
                break;
            }
            n += 1;
            d = self.r(id);
        }
        n
    }

    fn args_length(&mut self, dc: R) -> i64 {
        let mut n = 0;
        let mut d = dc;
        while let Some(id) = d {
            if self.k(id) != K::TemplateArgList {
                break;
            }
            let Some(elt) = self.l(id) else { break };
            if self.k(elt) == K::PackExpansion {
                let a = self.find_pack(self.l(elt));
                n += self.pack_length(a);
            } else {
                n += 1;
            }
            d = self.r(id);
        }
        n
    }

    fn subexpr(&mut self, dc: Id) {
        let simple = matches!(self.k(dc), K::Name | K::QualName | K::InitializerList | K::FunctionParam);
        if !simple {
            self.putc(b'(');
        }
        self.comp(Some(dc));
        if !simple {
            self.putc(b')');
        }
    }

    fn expr_op(&mut self, dc: Id) {
        if self.k(dc) == K::Operator {
            let name = OPERATORS[self.c(dc).aux].1;
            self.put(name);
        } else {
            self.comp(Some(dc));
        }
    }

    fn op_code(&self, dc: Id) -> &'static str {
        if self.k(dc) == K::Operator { OPERATORS[self.c(dc).aux].0 } else { "" }
    }

    fn maybe_fold(&mut self, dc: Id) -> bool {
        let Some(opc) = self.l(dc) else { return false };
        let code = self.op_code(opc);
        if !code.starts_with('f') {
            return false;
        }
        let Some(ops) = self.r(dc) else { return false };
        let Some(operator) = self.l(ops) else { return false };
        let Some(mut op1) = self.r(ops) else { return false };
        let mut op2 = None;
        if self.k(op1) == K::TrinaryArg2 {
            op2 = self.r(op1);
            match self.l(op1) {
                Some(x) => op1 = x,
                None => return false,
            }
        }
        let save = self.pack_index;
        self.pack_index = -1;
        match code.as_bytes()[1] {
            b'l' => {
                self.put("(...");
                self.expr_op(operator);
                self.subexpr(op1);
                self.putc(b')');
            }
            b'r' => {
                self.putc(b'(');
                self.subexpr(op1);
                self.expr_op(operator);
                self.put("...)");
            }
            b'L' | b'R' => {
                self.putc(b'(');
                self.subexpr(op1);
                self.expr_op(operator);
                self.put("...");
                self.expr_op(operator);
                match op2 {
                    Some(o) => self.subexpr(o),
                    None => self.failed = true,
                }
                self.putc(b')');
            }
            _ => {}
        }
        self.pack_index = save;
        true
    }

    fn is_designated_init(&self, dc: Id) -> bool {
        if !matches!(self.k(dc), K::Binary | K::Trinary) {
            return false;
        }
        let Some(op) = self.l(dc) else { return false };
        let code = self.op_code(op).as_bytes();
        code.len() == 2 && code[0] == b'd' && matches!(code[1], b'i' | b'x' | b'X')
    }

    fn maybe_designated_init(&mut self, dc: Id) -> bool {
        if !self.is_designated_init(dc) {
            return false;
        }
        let code = self.op_code(self.l(dc).unwrap()).as_bytes()[1];
        let Some(operands) = self.r(dc) else { return false };
        let op1 = self.l(operands);
        let mut op2 = self.r(operands);
        if code == b'i' {
            self.putc(b'.');
        } else {
            self.putc(b'[');
        }
        self.comp(op1);
        if code == b'X' {
            self.put(" ... ");
            let l = op2.and_then(|o| self.l(o));
            self.comp(l);
            op2 = op2.and_then(|o| self.r(o));
        }
        if code != b'i' {
            self.putc(b']');
        }
        match op2 {
            Some(o) if self.is_designated_init(o) => self.comp(Some(o)),
            Some(o) => {
                self.putc(b'=');
                self.subexpr(o);
            }
            None => self.failed = true,
        }
        true
    }

    fn lambda_parm_name(&mut self, kind: K, index: i64) {
        let s = match kind {
            K::TemplateTypeParm => "$T",
            K::TemplateNonTypeParm => "$N",
            K::TemplateTemplateParm => "$TT",
            _ => {
                self.failed = true;
                ""
            }
        };
        self.put(s);
        self.put(&index.to_string());
    }

    fn comp_inner(&mut self, dc: Id) {
        if self.failed {
            return;
        }
        let mut mod_inner: R = None;
        let mut saved_templates: Option<Tpl> = None;
        let mut dc = dc;
        match self.k(dc) {
            K::Name => {
                let t = self.c(dc).text;
                let b = self.text(t).to_vec();
                self.put_bytes(&b);
            }
            K::TaggedName => {
                self.comp(self.l(dc));
                self.put("[abi:");
                self.comp(self.r(dc));
                self.putc(b']');
            }
            K::StructuredBinding => {
                self.putc(b'[');
                let mut cur = Some(dc);
                while let Some(c) = cur {
                    self.comp(self.l(c));
                    cur = self.r(c);
                    if cur.is_some() {
                        self.put(", ");
                    }
                }
                self.putc(b']');
            }
            K::ModuleEntity => {
                self.comp(self.l(dc));
                self.putc(b'@');
                self.comp(self.r(dc));
            }
            K::ModuleName | K::ModulePartition => {
                if self.l(dc).is_some() {
                    self.comp(self.l(dc));
                }
                let c = if self.k(dc) == K::ModulePartition {
                    Some(b':')
                } else if self.l(dc).is_some() {
                    Some(b'.')
                } else {
                    None
                };
                if let Some(c) = c {
                    self.putc(c);
                }
                self.comp(self.r(dc));
            }
            K::QualName | K::LocalName => {
                self.comp(self.l(dc));
                self.put("::");
                let mut local = self.r(dc);
                if let Some(ln) = local
                    && self.k(ln) == K::DefaultArg
                {
                    let n = self.c(ln).num + 1;
                    self.put(&format!("{{default arg#{n}}}::"));
                    local = self.l(ln);
                }
                self.comp(local);
            }
            K::TypedName => self.typed_name(dc),
            K::Template => {
                let hold_current = self.current_template;
                self.current_template = Some(dc);
                let hold_mods = self.modifiers;
                self.modifiers = None;
                self.comp(self.l(dc));
                if self.last_char() == b'<' {
                    self.putc(b' ');
                }
                self.putc(b'<');
                self.comp(self.r(dc));
                if self.last_char() == b'>' {
                    self.putc(b' ');
                }
                self.putc(b'>');
                self.modifiers = hold_mods;
                self.current_template = hold_current;
            }
            K::TemplateParam => {
                let num = self.c(dc).num;
                if self.lambda_tpl_parms > num + 1 {
                    let decl = self.templates.as_ref().and_then(|t| t.decl);
                    let mut a = decl.and_then(|d| self.l(d));
                    let mut c = num;
                    while let Some(x) = a {
                        if c == 0 {
                            break;
                        }
                        c -= 1;
                        a = self.r(x);
                    }
                    if let Some(x) = a
                        && self.k(x) == K::TemplatePackParm
                    {
                        a = self.l(x);
                    }
                    match a {
                        Some(x) => {
                            let k = self.k(x);
                            self.lambda_parm_name(k, num);
                        }
                        None => self.failed = true,
                    }
                } else if self.lambda_tpl_parms != 0 {
                    self.put(&format!("auto:{}", num + 1));
                } else {
                    let mut a = self.lookup_template_argument(dc);
                    if let Some(x) = a
                        && self.k(x) == K::TemplateArgList
                    {
                        a = self.index_template_argument(Some(x), self.pack_index);
                    }
                    let Some(a) = a else {
                        self.failed = true;
                        return;
                    };
                    let hold = self.templates.clone();
                    self.templates = hold.as_ref().and_then(|t| t.next.clone());
                    self.comp(Some(a));
                    self.templates = hold;
                }
            }
            K::TparmObj => {
                self.put("template parameter object for ");
                self.comp(self.l(dc));
            }
            K::Ctor => self.comp(self.l(dc)),
            K::Dtor => {
                self.putc(b'~');
                self.comp(self.l(dc));
            }
            K::ModuleInit => {
                self.put("initializer for module ");
                self.comp(self.l(dc));
            }
            K::Vtable => self.prefixed("vtable for ", dc),
            K::Vtt => self.prefixed("VTT for ", dc),
            K::ConstructionVtable => {
                self.put("construction vtable for ");
                self.comp(self.l(dc));
                self.put("-in-");
                self.comp(self.r(dc));
            }
            K::Typeinfo => self.prefixed("typeinfo for ", dc),
            K::TypeinfoName => self.prefixed("typeinfo name for ", dc),
            K::TypeinfoFn => self.prefixed("typeinfo fn for ", dc),
            K::Thunk => self.prefixed("non-virtual thunk to ", dc),
            K::VirtualThunk => self.prefixed("virtual thunk to ", dc),
            K::CovariantThunk => self.prefixed("covariant return thunk to ", dc),
            K::JavaClass => self.prefixed("java Class for ", dc),
            K::Guard => self.prefixed("guard variable for ", dc),
            K::TlsInit => self.prefixed("TLS init function for ", dc),
            K::TlsWrapper => self.prefixed("TLS wrapper function for ", dc),
            K::Reftemp => {
                self.put("reference temporary #");
                self.comp(self.r(dc));
                self.put(" for ");
                self.comp(self.l(dc));
            }
            K::HiddenAlias => self.prefixed("hidden alias for ", dc),
            K::TransactionClone => self.prefixed("transaction clone for ", dc),
            K::NontransactionClone => self.prefixed("non-transaction clone for ", dc),
            K::SubStd => {
                let t = self.c(dc).text;
                let b = self.text(t).to_vec();
                self.put_bytes(&b);
            }
            K::Restrict | K::Volatile | K::Const => {
                // A qualifier already on the modifier stack is printed once.
                let mut p = self.modifiers;
                while let Some(i) = p {
                    if !self.mods[i].printed {
                        let mk = self.k(self.mods[i].m);
                        if !matches!(mk, K::Restrict | K::Volatile | K::Const) {
                            break;
                        }
                        if mk == self.k(dc) {
                            self.comp(self.l(dc));
                            return;
                        }
                    }
                    p = self.mods[i].next;
                }
                self.modifier(dc, None, None);
            }
            K::Reference | K::RvalueReference => {
                let Some(mut sub) = self.l(dc) else {
                    self.failed = true;
                    return;
                };
                if self.lambda_tpl_parms == 0 && self.k(sub) == K::TemplateParam {
                    let scope = self.saved_scopes.iter().find(|(c, _)| *c == sub).map(|(_, t)| t.clone());
                    match scope {
                        None => self.saved_scopes.push((sub, self.templates.clone())),
                        Some(t) => {
                            let n = self.component_stack.len();
                            let found = self.component_stack.iter().enumerate().any(|(i, &c)| c == sub || (c == dc && i != n - 1));
                            if !found {
                                saved_templates = Some(self.templates.clone());
                                self.templates = t;
                            }
                        }
                    }
                    let mut a = self.lookup_template_argument(sub);
                    if let Some(x) = a
                        && self.k(x) == K::TemplateArgList
                    {
                        a = self.index_template_argument(Some(x), self.pack_index);
                    }
                    let Some(a) = a else {
                        if let Some(t) = saved_templates {
                            self.templates = t;
                        }
                        self.failed = true;
                        return;
                    };
                    sub = a;
                }
                if self.k(sub) == K::Reference || self.k(sub) == self.k(dc) {
                    dc = sub;
                } else if self.k(sub) == K::RvalueReference {
                    mod_inner = self.l(sub);
                }
                self.modifier(dc, mod_inner, saved_templates);
            }
            K::VendorTypeQual | K::Pointer | K::Complex | K::Imaginary => self.modifier(dc, None, None),
            k if is_fnqual(k) => self.modifier(dc, None, None),
            K::BuiltinType => {
                let name = BUILTINS[self.c(dc).aux].0;
                self.put(name);
            }
            K::ExtendedBuiltinType => {
                let c = self.c(dc);
                let (idx, suffix, arg) = (c.aux & 0xff, (c.aux >> 8) as u8, c.num);
                self.put(BUILTINS[idx].0);
                self.put(&arg.to_string());
                if suffix != 0 {
                    self.putc(suffix);
                }
            }
            K::VendorType => self.comp(self.l(dc)),
            K::FunctionType => {
                if let Some(ret) = self.l(dc) {
                    let i = self.push_mod(dc);
                    let hold_next = self.mods[i].next;
                    self.comp(Some(ret));
                    self.modifiers = hold_next;
                    if self.mods[i].printed {
                        return;
                    }
                    self.putc(b' ');
                }
                let mods = self.modifiers;
                self.function_type(dc, mods);
            }
            K::ArrayType => self.array_type_comp(dc),
            K::PtrmemType | K::VectorType => {
                let i = self.push_mod(dc);
                let next = self.mods[i].next;
                self.comp(self.r(dc));
                if !self.mods[i].printed {
                    self.print_mod(dc);
                }
                self.modifiers = next;
            }
            K::ArgList | K::TemplateArgList => {
                if self.l(dc).is_some() {
                    self.comp(self.l(dc));
                }
                if let Some(r) = self.r(dc) {
                    self.put(", ");
                    let len = self.out.len();
                    self.comp(Some(r));
                    if self.out.len() == len {
                        self.out.truncate(len - 2);
                    }
                }
            }
            K::InitializerList => {
                if let Some(t) = self.l(dc) {
                    self.comp(Some(t));
                }
                self.putc(b'{');
                self.comp(self.r(dc));
                self.putc(b'}');
            }
            K::Operator => {
                let name = OPERATORS[self.c(dc).aux].1;
                self.put("operator");
                if name.as_bytes()[0].is_ascii_lowercase() {
                    self.putc(b' ');
                }
                self.put(name.strip_suffix(' ').unwrap_or(name));
            }
            K::ExtendedOperator => {
                self.put("operator ");
                self.comp(self.l(dc));
            }
            K::Conversion => {
                self.put("operator ");
                self.conversion(dc);
            }
            K::Nullary => {
                if let Some(op) = self.l(dc) {
                    self.expr_op(op);
                }
            }
            K::Unary => self.unary(dc),
            K::Binary => self.binary(dc),
            K::Trinary => self.trinary(dc),
            K::BinaryArgs | K::TrinaryArg1 | K::TrinaryArg2 => self.failed = true,
            K::Literal | K::LiteralNeg => self.literal(dc),
            K::VendorExpr => {
                self.comp(self.l(dc));
                self.putc(b'(');
                self.comp(self.r(dc));
                self.putc(b')');
            }
            K::Number => {
                let n = self.c(dc).num;
                self.put(&n.to_string());
            }
            K::Decltype => {
                self.put("decltype (");
                self.comp(self.l(dc));
                self.putc(b')');
            }
            K::PackExpansion => {
                let a = if self.lambda_tpl_parms == 0 { self.find_pack(self.l(dc)) } else { None };
                match a {
                    None => {
                        match self.l(dc) {
                            Some(l) => self.subexpr(l),
                            None => self.failed = true,
                        }
                        self.put("...");
                    }
                    Some(a) => {
                        let len = self.pack_length(Some(a));
                        let pattern = self.l(dc);
                        for i in 0..len {
                            if i > 0 {
                                self.put(", ");
                            }
                            self.pack_index = i;
                            self.comp(pattern);
                        }
                    }
                }
            }
            K::FunctionParam => {
                let n = self.c(dc).num;
                if n == 0 {
                    self.put("this");
                } else {
                    self.put(&format!("{{parm#{n}}}"));
                }
            }
            K::GlobalConstructors => {
                self.put("global constructors keyed to ");
                self.comp(self.l(dc));
            }
            K::GlobalDestructors => {
                self.put("global destructors keyed to ");
                self.comp(self.l(dc));
            }
            K::Lambda => self.lambda(dc),
            K::UnnamedType => {
                let n = self.c(dc).num + 1;
                self.put(&format!("{{unnamed type#{n}}}"));
            }
            K::Clone => {
                self.comp(self.l(dc));
                self.put(" [clone ");
                self.comp(self.r(dc));
                self.putc(b']');
            }
            K::TemplateHead => {
                self.putc(b'<');
                let mut parm = self.l(dc);
                let mut count = 0;
                while let Some(p) = parm {
                    if count > 0 {
                        self.put(", ");
                    }
                    count += 1;
                    self.comp(Some(p));
                    parm = self.r(p);
                }
                self.putc(b'>');
            }
            K::TemplateTypeParm => self.put("typename"),
            K::TemplateNonTypeParm => self.comp(self.l(dc)),
            K::TemplateTemplateParm => {
                self.put("template");
                self.comp(self.l(dc));
                self.put(" class");
            }
            K::TemplatePackParm => {
                self.comp(self.l(dc));
                self.put("...");
            }
            _ => self.failed = true,
        }
    }

    fn prefixed(&mut self, s: &str, dc: Id) {
        self.put(s);
        self.comp(self.l(dc));
    }

    /// The `modifier:` case: push `dc`, print its operand, print `dc` if nobody did.
    fn modifier(&mut self, dc: Id, mod_inner: R, saved_templates: Option<Tpl>) {
        let i = self.push_mod(dc);
        let next = self.mods[i].next;
        let inner = mod_inner.or_else(|| self.l(dc));
        self.comp(inner);
        if !self.mods[i].printed {
            self.print_mod(dc);
        }
        self.modifiers = next;
        if let Some(t) = saved_templates {
            self.templates = t;
        }
    }

    fn typed_name(&mut self, dc: Id) {
        let hold_modifiers = self.modifiers;
        self.modifiers = None;
        // Up to four modifiers, allocated contiguously as libiberty's `adpm` array.
        let base = self.mods.len();
        let mut i = 0usize;
        let mut typed_name = self.l(dc);
        while let Some(tn) = typed_name {
            if i >= 4 {
                self.failed = true;
                return;
            }
            self.mods.push(Mod { m: tn, printed: false, templates: self.templates.clone(), next: self.modifiers });
            self.modifiers = Some(base + i);
            i += 1;
            if !is_fnqual(self.k(tn)) {
                break;
            }
            typed_name = self.l(tn);
        }
        let Some(mut tn) = typed_name else {
            self.failed = true;
            return;
        };
        if self.k(tn) == K::LocalName {
            let Some(mut r) = self.r(tn) else {
                self.failed = true;
                return;
            };
            if self.k(r) == K::DefaultArg {
                match self.l(r) {
                    Some(x) => r = x,
                    None => {
                        self.failed = true;
                        return;
                    }
                }
            }
            let mut cur = Some(r);
            while let Some(c) = cur {
                if !is_fnqual(self.k(c)) {
                    break;
                }
                if i >= 4 {
                    self.failed = true;
                    return;
                }
                // adpm[i] = adpm[i - 1]; adpm[i].next = &adpm[i - 1]; adpm[i - 1] = this qualifier
                let prev = self.mods[base + i - 1].clone();
                self.mods.push(Mod { next: Some(base + i - 1), ..prev });
                self.modifiers = Some(base + i);
                self.mods[base + i - 1].m = c;
                self.mods[base + i - 1].printed = false;
                self.mods[base + i - 1].templates = self.templates.clone();
                i += 1;
                cur = self.l(c);
            }
            match cur {
                Some(c) => tn = c,
                None => {
                    self.failed = true;
                    return;
                }
            }
        }
        let is_template = self.k(tn) == K::Template;
        if is_template {
            self.templates = Some(Rc::new(TplNode { decl: Some(tn), next: self.templates.clone() }));
        }
        self.comp(self.r(dc));
        if is_template {
            self.templates = self.templates.as_ref().and_then(|t| t.next.clone());
        }
        while i > 0 {
            i -= 1;
            if !self.mods[base + i].printed {
                self.putc(b' ');
                let m = self.mods[base + i].m;
                self.print_mod(m);
            }
        }
        self.modifiers = hold_modifiers;
    }

    fn array_type_comp(&mut self, dc: Id) {
        let hold_modifiers = self.modifiers;
        let first = self.mods.len();
        self.mods.push(Mod { m: dc, printed: false, templates: self.templates.clone(), next: hold_modifiers });
        self.modifiers = Some(first);
        let mut copies: Vec<usize> = Vec::new();
        let mut p = hold_modifiers;
        while let Some(pi) = p {
            if !matches!(self.k(self.mods[pi].m), K::Restrict | K::Volatile | K::Const) {
                break;
            }
            if !self.mods[pi].printed {
                if copies.len() + 1 >= 4 {
                    self.failed = true;
                    return;
                }
                let copy = Mod { next: self.modifiers, ..self.mods[pi].clone() };
                self.mods.push(copy);
                let ci = self.mods.len() - 1;
                self.modifiers = Some(ci);
                self.mods[pi].printed = true;
                copies.push(ci);
            }
            p = self.mods[pi].next;
        }
        self.comp(self.r(dc));
        self.modifiers = hold_modifiers;
        if self.mods[first].printed {
            return;
        }
        while let Some(ci) = copies.pop() {
            let m = self.mods[ci].m;
            self.print_mod(m);
        }
        let mods = self.modifiers;
        self.array_type(dc, mods);
    }

    fn unary(&mut self, dc: Id) {
        let (Some(op), Some(mut operand)) = (self.l(dc), self.r(dc)) else {
            self.failed = true;
            return;
        };
        let code = self.op_code(op);
        if self.k(op) == K::Operator {
            if code == "ad"
                && self.k(operand) == K::TypedName
                && let (Some(l), Some(r)) = (self.l(operand), self.r(operand))
                && self.k(l) == K::QualName
                && self.k(r) == K::FunctionType
            {
                operand = l;
            }
            if self.k(operand) == K::BinaryArgs {
                let Some(o) = self.l(operand) else {
                    self.failed = true;
                    return;
                };
                self.subexpr(o);
                self.expr_op(op);
                return;
            }
        }
        if code == "sZ" {
            let a = self.find_pack(Some(operand));
            let len = self.pack_length(a);
            self.put(&len.to_string());
            return;
        } else if code == "sP" {
            let len = self.args_length(Some(operand));
            self.put(&len.to_string());
            return;
        }
        if self.k(op) != K::Cast {
            self.expr_op(op);
        } else {
            self.putc(b'(');
            self.comp(self.l(op));
            self.putc(b')');
        }
        if code == "gs" {
            self.comp(Some(operand));
        } else if code == "st" {
            self.putc(b'(');
            self.comp(Some(operand));
            self.putc(b')');
        } else {
            self.subexpr(operand);
        }
    }

    fn binary(&mut self, dc: Id) {
        let (Some(op), Some(args)) = (self.l(dc), self.r(dc)) else {
            self.failed = true;
            return;
        };
        if self.k(args) != K::BinaryArgs {
            self.failed = true;
            return;
        }
        let code = self.op_code(op);
        if matches!(code, "dc" | "sc" | "cc" | "rc") {
            self.expr_op(op);
            self.putc(b'<');
            self.comp(self.l(args));
            self.put(">(");
            self.comp(self.r(args));
            self.putc(b')');
            return;
        }
        if self.maybe_fold(dc) || self.maybe_designated_init(dc) {
            return;
        }
        let gt = self.k(op) == K::Operator && OPERATORS[self.c(op).aux].1 == ">";
        if gt {
            self.putc(b'(');
        }
        let left = self.l(args);
        if code == "cl" && left.is_some_and(|l| self.k(l) == K::TypedName) {
            let func = left.unwrap();
            if self.r(func).is_none_or(|r| self.k(r) != K::FunctionType) {
                self.failed = true;
            }
            match self.l(func) {
                Some(f) => self.subexpr(f),
                None => self.failed = true,
            }
        } else {
            match left {
                Some(l) => self.subexpr(l),
                None => self.failed = true,
            }
        }
        if code == "ix" {
            self.putc(b'[');
            self.comp(self.r(args));
            self.putc(b']');
        } else {
            if code != "cl" {
                self.expr_op(op);
            }
            match self.r(args) {
                Some(r) => self.subexpr(r),
                None => self.failed = true,
            }
        }
        if gt {
            self.putc(b')');
        }
    }

    fn trinary(&mut self, dc: Id) {
        let (Some(op), Some(a1)) = (self.l(dc), self.r(dc)) else {
            self.failed = true;
            return;
        };
        let Some(a2) = self.r(a1) else {
            self.failed = true;
            return;
        };
        if self.k(a1) != K::TrinaryArg1 || self.k(a2) != K::TrinaryArg2 {
            self.failed = true;
            return;
        }
        if self.maybe_fold(dc) || self.maybe_designated_init(dc) {
            return;
        }
        let (first, second, third) = (self.l(a1), self.l(a2), self.r(a2));
        if self.op_code(op) == "qu" {
            let (Some(f), Some(s), Some(t)) = (first, second, third) else {
                self.failed = true;
                return;
            };
            self.subexpr(f);
            self.expr_op(op);
            self.subexpr(s);
            self.put(" : ");
            self.subexpr(t);
        } else {
            self.put("new ");
            if let Some(f) = first
                && self.l(f).is_some()
            {
                self.subexpr(f);
                self.putc(b' ');
            }
            self.comp(second);
            if let Some(t) = third {
                self.subexpr(t);
            }
        }
    }

    fn literal(&mut self, dc: Id) {
        let (Some(t), Some(v)) = (self.l(dc), self.r(dc)) else {
            self.failed = true;
            return;
        };
        let neg = self.k(dc) == K::LiteralNeg;
        let mut tp = 0u8;
        if self.k(t) == K::BuiltinType {
            tp = BUILTINS[self.c(t).aux].1;
            match tp {
                1..=6 if self.k(v) == K::Name => {
                    if neg {
                        self.putc(b'-');
                    }
                    self.comp(Some(v));
                    self.put(match tp {
                        2 => "u",
                        3 => "l",
                        4 => "ul",
                        5 => "ll",
                        6 => "ull",
                        _ => "",
                    });
                    return;
                }
                7 if self.k(v) == K::Name && !neg => {
                    let txt = self.text(self.c(v).text).to_vec();
                    if txt == b"0" {
                        self.put("false");
                        return;
                    }
                    if txt == b"1" {
                        self.put("true");
                        return;
                    }
                }
                _ => {}
            }
        }
        self.putc(b'(');
        self.comp(Some(t));
        self.putc(b')');
        if neg {
            self.putc(b'-');
        }
        if tp == 8 {
            self.putc(b'[');
        }
        self.comp(Some(v));
        if tp == 8 {
            self.putc(b']');
        }
    }

    fn lambda(&mut self, dc: Id) {
        self.put("{lambda");
        let mut parms = self.l(dc);
        let saved = self.lambda_tpl_parms;
        self.lambda_tpl_parms = 0;
        self.templates = Some(Rc::new(TplNode { decl: None, next: self.templates.clone() }));
        if let Some(p) = parms
            && self.k(p) == K::TemplateHead
        {
            self.templates = Some(Rc::new(TplNode { decl: Some(p), next: self.templates.as_ref().and_then(|t| t.next.clone()) }));
            self.putc(b'<');
            let mut parm = self.l(p);
            while let Some(pm) = parm {
                if self.lambda_tpl_parms > 0 {
                    self.put(", ");
                }
                self.lambda_tpl_parms += 1;
                self.comp(Some(pm));
                self.putc(b' ');
                let mut which = pm;
                if self.k(pm) == K::TemplatePackParm
                    && let Some(x) = self.l(pm)
                {
                    which = x;
                }
                let k = self.k(which);
                let idx = self.lambda_tpl_parms - 1;
                self.lambda_parm_name(k, idx);
                parm = self.r(pm);
            }
            self.putc(b'>');
            parms = self.r(p);
        }
        self.lambda_tpl_parms += 1;
        self.putc(b'(');
        self.comp(parms);
        self.lambda_tpl_parms = saved;
        self.templates = self.templates.as_ref().and_then(|t| t.next.clone());
        let n = self.c(dc).num + 1;
        self.put(&format!(")#{n}}}"));
    }

    fn conversion(&mut self, dc: Id) {
        let pushed = self.current_template.is_some();
        if pushed {
            self.templates = Some(Rc::new(TplNode { decl: self.current_template, next: self.templates.clone() }));
        }
        let Some(l) = self.l(dc) else {
            self.failed = true;
            return;
        };
        if self.k(l) != K::Template {
            self.comp(Some(l));
            if pushed {
                self.templates = self.templates.as_ref().and_then(|t| t.next.clone());
            }
        } else {
            self.comp(self.l(l));
            if pushed {
                self.templates = self.templates.as_ref().and_then(|t| t.next.clone());
            }
            if self.last_char() == b'<' {
                self.putc(b' ');
            }
            self.putc(b'<');
            self.comp(self.r(l));
            if self.last_char() == b'>' {
                self.putc(b' ');
            }
            self.putc(b'>');
        }
    }

    fn mod_list(&mut self, mods: Option<usize>, suffix: bool) {
        let Some(mi) = mods else { return };
        if self.failed {
            return;
        }
        let m = self.mods[mi].m;
        if self.mods[mi].printed || (!suffix && is_fnqual(self.k(m))) {
            let next = self.mods[mi].next;
            self.mod_list(next, suffix);
            return;
        }
        self.mods[mi].printed = true;
        let hold = self.templates.clone();
        self.templates = self.mods[mi].templates.clone();
        match self.k(m) {
            K::FunctionType => {
                let next = self.mods[mi].next;
                self.function_type(m, next);
                self.templates = hold;
                return;
            }
            K::ArrayType => {
                let next = self.mods[mi].next;
                self.array_type(m, next);
                self.templates = hold;
                return;
            }
            K::LocalName => {
                let hold_mods = self.modifiers;
                self.modifiers = None;
                self.comp(self.l(m));
                self.modifiers = hold_mods;
                self.put("::");
                let mut d = self.r(m);
                if let Some(x) = d
                    && self.k(x) == K::DefaultArg
                {
                    let n = self.c(x).num + 1;
                    self.put(&format!("{{default arg#{n}}}::"));
                    d = self.l(x);
                }
                while let Some(x) = d {
                    if !is_fnqual(self.k(x)) {
                        break;
                    }
                    d = self.l(x);
                }
                self.comp(d);
                self.templates = hold;
                return;
            }
            _ => {}
        }
        self.print_mod(m);
        self.templates = hold;
        let next = self.mods[mi].next;
        self.mod_list(next, suffix);
    }

    fn print_mod(&mut self, m: Id) {
        match self.k(m) {
            K::Restrict | K::RestrictThis => self.put(" restrict"),
            K::Volatile | K::VolatileThis => self.put(" volatile"),
            K::Const | K::ConstThis => self.put(" const"),
            K::TransactionSafe => self.put(" transaction_safe"),
            K::Noexcept => {
                self.put(" noexcept");
                if let Some(r) = self.r(m) {
                    self.putc(b'(');
                    self.comp(Some(r));
                    self.putc(b')');
                }
            }
            K::ThrowSpec => {
                self.put(" throw");
                if let Some(r) = self.r(m) {
                    self.putc(b'(');
                    self.comp(Some(r));
                    self.putc(b')');
                }
            }
            K::VendorTypeQual => {
                self.putc(b' ');
                self.comp(self.r(m));
            }
            K::Pointer => self.putc(b'*'),
            K::ReferenceThis => self.put(" &"),
            K::Reference => self.putc(b'&'),
            K::RvalueReferenceThis => self.put(" &&"),
            K::RvalueReference => self.put("&&"),
            K::Complex => self.put(" _Complex"),
            K::Imaginary => self.put(" _Imaginary"),
            K::PtrmemType => {
                if self.last_char() != b'(' {
                    self.putc(b' ');
                }
                self.comp(self.l(m));
                self.put("::*");
            }
            K::TypedName => self.comp(self.l(m)),
            K::VectorType => {
                self.put(" __vector(");
                self.comp(self.l(m));
                self.putc(b')');
            }
            _ => self.comp(Some(m)),
        }
    }

    fn function_type(&mut self, dc: Id, mods: Option<usize>) {
        let mut need_paren = false;
        let mut need_space = false;
        let mut p = mods;
        while let Some(pi) = p {
            if self.mods[pi].printed {
                break;
            }
            match self.k(self.mods[pi].m) {
                K::Pointer | K::Reference | K::RvalueReference => need_paren = true,
                K::Restrict | K::Volatile | K::Const | K::VendorTypeQual | K::Complex | K::Imaginary | K::PtrmemType => {
                    need_space = true;
                    need_paren = true;
                }
                _ => {}
            }
            if need_paren {
                break;
            }
            p = self.mods[pi].next;
        }
        if need_paren {
            if !need_space && self.last_char() != b'(' && self.last_char() != b'*' {
                need_space = true;
            }
            if need_space && self.last_char() != b' ' {
                self.putc(b' ');
            }
            self.putc(b'(');
        }
        let hold = self.modifiers;
        self.modifiers = None;
        self.mod_list(mods, false);
        if need_paren {
            self.putc(b')');
        }
        self.putc(b'(');
        if let Some(r) = self.r(dc) {
            self.comp(Some(r));
        }
        self.putc(b')');
        self.mod_list(mods, true);
        self.modifiers = hold;
    }

    fn array_type(&mut self, dc: Id, mods: Option<usize>) {
        let mut need_space = true;
        if mods.is_some() {
            let mut need_paren = false;
            let mut p = mods;
            while let Some(pi) = p {
                if !self.mods[pi].printed {
                    if self.k(self.mods[pi].m) == K::ArrayType {
                        need_space = false;
                    } else {
                        need_paren = true;
                        need_space = true;
                    }
                    break;
                }
                p = self.mods[pi].next;
            }
            if need_paren {
                self.put(" (");
            }
            self.mod_list(mods, false);
            if need_paren {
                self.putc(b')');
            }
        }
        if need_space {
            self.putc(b' ');
        }
        self.putc(b'[');
        if let Some(l) = self.l(dc) {
            self.comp(Some(l));
        }
        self.putc(b']');
    }
}

/// Depth-first count used only to reproduce libiberty's recursion failure on very deep trees.
fn too_deep(p: &Parser<'_>, root: Id) -> bool {
    let mut counted = vec![0u8; p.comps.len()];
    let mut stack: Vec<(Id, usize)> = vec![(root, 0)];
    while let Some((id, depth)) = stack.pop() {
        if depth > RECURSION_LIMIT {
            return true;
        }
        if counted[id] > 1 {
            continue;
        }
        counted[id] += 1;
        for c in [p.comps[id].l, p.comps[id].r].into_iter().flatten() {
            stack.push((c, depth + 1));
        }
    }
    false
}

/// Demangles an Itanium C++ ABI name (`_Z…`, or `_GLOBAL_[._$][DI]_…`) the way libiberty does.
pub(crate) fn demangle(mangled: &str, opts: Options) -> Option<String> {
    let b = mangled.as_bytes();
    let global =
        b.len() > 10 && b.starts_with(b"_GLOBAL_") && matches!(b[8], b'.' | b'_' | b'$') && matches!(b[9], b'D' | b'I') && b[10] == b'_';
    if !(b.starts_with(b"_Z") || global) {
        return None;
    }
    if !opts.no_recurse_limit && 2 * b.len() > RECURSION_LIMIT {
        return None;
    }
    let mut state = 1;
    loop {
        let mut p = Parser::new(b, opts, state);
        let dc = if global {
            p.advance(11);
            let rest = p.n;
            let inner = if p.peek() == b'_' && p.peek_next() == b'Z' {
                p.advance(2);
                p.encoding(false)
            } else {
                let len = b.len() - rest;
                p.advance(len);
                p.name_comp(Text::Input(rest, len))
            };
            let k = if b[9] == b'I' { K::GlobalConstructors } else { K::GlobalDestructors };
            let r = p.comp(k, inner, None);
            // the whole rest is consumed
            p.n = b.len();
            r
        } else {
            p.mangled_name(true)
        };
        let dc = if opts.params && p.peek() != 0 { None } else { dc };
        if dc.is_none() && p.unresolved_name_state == -1 {
            state = 0;
            continue;
        }
        let root = dc?;
        if too_deep(&p, root) {
            return None;
        }
        let n = p.comps.len();
        let mut pr = Printer {
            p: &p,
            out: Vec::with_capacity(b.len() * 2),
            last: 0,
            templates: None,
            mods: Vec::new(),
            modifiers: None,
            pack_index: 0,
            failed: false,
            recursion: 0,
            lambda_tpl_parms: 0,
            component_stack: Vec::new(),
            saved_scopes: Vec::new(),
            current_template: None,
            printing: vec![0; n],
        };
        pr.comp(Some(root));
        if pr.failed {
            return None;
        }
        return String::from_utf8(pr.out).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> String {
        demangle(s, Options { params: true, ..Options::default() }).unwrap_or_else(|| format!("<fail {s}>"))
    }

    #[test]
    fn basics_match_gnu_nm() {
        assert_eq!(d("_ZNKSs4backEv"), "std::string::back() const");
        assert_eq!(d("_ZN9__gnu_cxx13__scoped_lockD5Ev"), "__gnu_cxx::__scoped_lock::~__scoped_lock()");
        assert_eq!(d("_Z1fv"), "f()");
        assert_eq!(d("_ZN1AIiE1fEv"), "A<int>::f()");
        assert_eq!(d("_ZSt4cout"), "std::cout");
        assert_eq!(d("_Z1fIiEvT_"), "void f<int>(int)");
        assert_eq!(d("_Z1fPFivE"), "f(int (*)())");
        assert_eq!(d("_ZTV1A"), "vtable for A");
    }
}
